package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// readResponse reads a backend's response head from br as
// http.ReadResponse does. The common case (HTTP/1.1, a final status with
// a body, one Content-Length, plain fields) is parsed in place without
// textproto's allocations (parseLeanResponse); anything else goes to
// http.ReadResponse, which reads the same bytes.
func readResponse(br *bufio.Reader, req *http.Request) (*http.Response, error) {
	if _, err := br.Peek(1); err != nil {
		return http.ReadResponse(br, req)
	}
	buf, _ := br.Peek(br.Buffered())
	if i := bytes.Index(buf, headEnd); i >= 0 {
		if res, ok := parseLeanResponse(buf[:i+4], req); ok {
			_, _ = br.Discard(i + 4)
			if res.ContentLength > 0 {
				res.Body = &fixedBody{r: br, n: res.ContentLength}
			}
			return res, nil
		}
	}
	return http.ReadResponse(br, req)
}

// parseLeanResponse parses a response head for readResponse; false means
// "not the common case" (and nothing is consumed). The Body of a
// response with content is set by the caller.
func parseLeanResponse(head []byte, req *http.Request) (*http.Response, bool) {
	if req == nil || req.Method != http.MethodGet {
		return nil, false // HEAD responses have their own length rules
	}
	eol := bytes.Index(head, crlfBytes)
	if eol < len("HTTP/1.1 200") || string(head[:9]) != "HTTP/1.1 " || bytes.IndexByte(head[:eol], '\n') >= 0 {
		return nil, false
	}
	code := 0
	for _, c := range head[9:12] {
		if c < '0' || c > '9' {
			return nil, false
		}
		code = code*10 + int(c-'0')
	}
	if eol > 12 && head[12] != ' ' {
		return nil, false
	}
	if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified {
		return nil, false
	}
	n := bytes.Count(head[eol+2:], crlfBytes) - 1
	if n < 1 {
		return nil, false // no Content-Length
	}
	s := string(head)
	h, closeConn, ok := parseLeanFields(head, s, eol+2, n, true)
	if !ok {
		return nil, false
	}
	cl := h["Content-Length"]
	if len(cl) != 1 {
		return nil, false
	}
	length, err := strconv.ParseUint(cl[0], 10, 63)
	if err != nil || cl[0][0] == '+' {
		return nil, false
	}
	if closeConn {
		delete(h, "Connection")
	}
	fixPragmaCacheControl(h)
	return &http.Response{
		Status:        s[9:eol],
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          http.NoBody,
		ContentLength: int64(length),
		Close:         closeConn,
		Request:       req,
	}, true
}

// fixedBody is a Content-Length body: n more bytes from r; a connection
// that ends early is io.ErrUnexpectedEOF, as with net/http.
type fixedBody struct {
	r *bufio.Reader
	n int64
}

func (b *fixedBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	k, err := b.r.Read(p)
	b.n -= int64(k)
	switch {
	case b.n == 0:
		return k, io.EOF
	case err == io.EOF:
		return k, io.ErrUnexpectedEOF
	}
	return k, err
}

func (b *fixedBody) Close() error { return nil }
