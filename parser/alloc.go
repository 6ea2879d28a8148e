package parser

// slab hands out slices carved from larger allocations: reading a big
// configuration creates tens of thousands of Directives, Arg slices and
// Blocks, and allocating them in chunks saves most of the allocator and
// GC work. Chunks start small (a .htaccess file has a few lines) and
// double up to a maximum. A slice it returns has its length as capacity,
// so appending to it never writes into a neighbour.
type slab[T any] struct {
	free []T
	next int // size of the next chunk
}

// Chunk sizes, in elements.
const (
	minChunk = 8
	maxChunk = 512
)

// take returns n zero elements.
func (s *slab[T]) take(n int) []T {
	if n > len(s.free) {
		s.next = min(max(2*s.next, minChunk), maxChunk)
		s.free = make([]T, max(n, s.next))
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}

// newDirective returns a zero Directive.
func (r *reader) newDirective() *Directive { return &r.dirs.take(1)[0] }

// dirList returns a copy of ds (nil when ds is empty, as a Block or a
// top level that nothing was appended to).
func (r *reader) dirList(ds []*Directive) []*Directive {
	if len(ds) == 0 {
		return nil
	}
	out := r.lists.take(len(ds))
	copy(out, ds)
	return out
}
