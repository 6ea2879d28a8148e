package directives

import (
	"reflect"
	"testing"

	"github.com/balancerd/balancerd/parser"
)

// TestDirectoryIndex: lines add up per level, "disabled" alone empties
// the list, absolute names are warned about and skipped.
func TestDirectoryIndex(t *testing.T) {
	src := "DirectoryIndex index.html\nDirectoryIndex index.htm\n<Directory /srv/a>\nDirectoryIndex disabled\n</Directory>\n" +
		"<Location /b>\nDirectoryIndex start.txt /abs.html\n</Location>\n<Directory /srv/c>\nDirectoryIndex disabled other.html\n</Directory>\n"
	cfg, diags := loadText(t, src)
	if d := firstDiag(diags, parser.Error); d != nil {
		t.Fatalf("unexpected %v", d)
	}
	if d := firstDiag(diags, parser.Warning); d == nil || d.Pos.Line != 7 {
		t.Fatalf("absolute name: want a warning at line 7, got %v", d)
	}
	m := cfg.Main
	if got := m.Dir.DirectoryIndex; !reflect.DeepEqual(got, []string{"index.html", "index.htm"}) {
		t.Errorf("server level: %q", got)
	}
	if got := m.Directories[0].Dir.DirectoryIndex; got == nil || len(got) != 0 {
		t.Errorf("disabled: %#v, want empty non-nil", got)
	}
	if got := m.Locations[0].Dir.DirectoryIndex; !reflect.DeepEqual(got, []string{"start.txt"}) {
		t.Errorf("location: %q", got)
	}
	if got := m.Directories[1].Dir.DirectoryIndex; !reflect.DeepEqual(got, []string{"disabled", "other.html"}) {
		t.Errorf("'disabled' not alone is a file name: %q", got)
	}
}
