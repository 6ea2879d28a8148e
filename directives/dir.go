package directives

// mod_dir's DirectoryIndex: the files tried, in order, for a request that
// maps to a directory with a trailing slash. Several DirectoryIndex lines
// at one level add up; a section's list replaces its parent's;
// "DirectoryIndex disabled" alone turns index files off.
//
//	DirectoryIndex disabled | local-url [local-url] ...

import (
	"strings"

	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("DirectoryIndex", applyDirectoryIndex)
}

func applyDirectoryIndex(b *Builder, d *parser.Directive) error {
	args := d.ArgValues()
	if b.Dir.DirectoryIndex == nil {
		b.Dir.DirectoryIndex = []string{}
	}
	if len(args) == 1 && strings.EqualFold(args[0], "disabled") {
		b.Dir.DirectoryIndex = b.Dir.DirectoryIndex[:0]
		return nil
	}
	for _, a := range args {
		if strings.HasPrefix(a, "/") {
			b.Warnf(d, "ignored-directive", "DirectoryIndex %s: balancerd only serves index files named relative to the directory; this one is ignored", a)
			continue
		}
		b.Dir.DirectoryIndex = append(b.Dir.DirectoryIndex, a)
	}
	return nil
}
