package parser

import (
	"io"
	"os"
	"strings"
)

// fileSystem is what the reader needs from the file system; tests
// substitute an in-memory one (Options.fsys).
type fileSystem interface {
	// ReadFile returns a file's contents (as a string: the reader keeps
	// substrings of it, and reading straight into a string saves a copy).
	ReadFile(name string) (string, error)
	ReadDir(name string) ([]os.DirEntry, error)
	Stat(name string) (os.FileInfo, error)
}

// osFS is the real file system.
type osFS struct{}

func (osFS) ReadFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b strings.Builder
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() < 1<<30 {
		b.Grow(int(fi.Size()))
	}
	if _, err := io.Copy(&b, f); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (osFS) ReadDir(name string) ([]os.DirEntry, error) { return os.ReadDir(name) }
func (osFS) Stat(name string) (os.FileInfo, error)      { return os.Stat(name) }
