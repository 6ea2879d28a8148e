package accesslog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
)

// DefaultFormat is mod_log_config's format when a CustomLog names none.
const DefaultFormat = `%h %l %u %t "%r" %>s %b`

// Logger writes the access logs of one configuration.
type Logger struct {
	byServer map[*model.Server][]*target
	main     []*target
	outputs  map[string]*output
	bufs     sync.Pool
}

type target struct {
	out    *output
	format *Format
	env    string // env= condition variable, "" for none
	negate bool   // env=!VAR
}

// output is one log file or pipe, shared by every CustomLog naming it.
type output struct {
	mu  sync.Mutex
	w   io.Writer
	c   io.Closer
	cmd *exec.Cmd
}

// Open opens every CustomLog/TransferLog target of cfg: files (relative
// to ServerRoot) in append mode, created 0644 if missing; "|command" and
// "||command" pipes are started (through /bin/sh for "|", as Apache
// does). A virtual host with logs of its own does not also write to the
// main server's.
func Open(cfg *model.Config) (*Logger, error) {
	l := &Logger{byServer: map[*model.Server][]*target{}, outputs: map[string]*output{}}
	l.bufs.New = func() any { b := make([]byte, 0, 256); return &b }
	build := func(s *model.Server) ([]*target, error) {
		var out []*target
		for _, cl := range s.CustomLogs {
			t, err := l.target(cfg, cl)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
		}
		return out, nil
	}
	var err error
	if cfg.Main != nil {
		if l.main, err = build(cfg.Main); err != nil {
			l.Close()
			return nil, err
		}
	}
	for _, vh := range cfg.VirtualHosts {
		ts, err := build(vh)
		if err != nil {
			l.Close()
			return nil, err
		}
		if len(ts) == 0 {
			ts = l.main
		}
		l.byServer[vh] = ts
	}
	return l, nil
}

func (l *Logger) target(cfg *model.Config, cl model.CustomLog) (*target, error) {
	format := cl.Format
	if format == "" {
		format = DefaultFormat
	}
	f, err := Compile(format)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cl.Source, err)
	}
	t := &target{format: f}
	if v, ok := strings.CutPrefix(cl.EnvCond, "env="); ok {
		t.env = v
		if v, ok := strings.CutPrefix(t.env, "!"); ok {
			t.env, t.negate = v, true
		}
	}
	out, err := l.output(cfg, cl.Target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cl.Source, err)
	}
	t.out = out
	return t, nil
}

func (l *Logger) output(cfg *model.Config, dest string) (*output, error) {
	if o := l.outputs[dest]; o != nil {
		return o, nil
	}
	o := &output{}
	switch {
	case strings.HasPrefix(dest, "|"):
		var cmd *exec.Cmd
		if rest, ok := strings.CutPrefix(dest, "||"); ok {
			args := strings.Fields(rest)
			if len(args) == 0 {
				return nil, errors.New("empty piped log command")
			}
			cmd = exec.Command(args[0], args[1:]...)
		} else {
			cmd = exec.Command("/bin/sh", "-c", strings.TrimPrefix(strings.TrimPrefix(dest, "|"), "$"))
		}
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, fmt.Errorf("piped log %q: %w", dest, err)
		}
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("could not start piped log %q: %w", dest, err)
		}
		o.w, o.c, o.cmd = in, in, cmd
	default:
		path := dest
		if !filepath.IsAbs(path) && cfg.ServerRoot != "" {
			path = filepath.Join(cfg.ServerRoot, path)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("could not open transfer log file %s: %w", path, err)
		}
		o.w, o.c = f, f
	}
	l.outputs[dest] = o
	return o, nil
}

// Log writes e to the logs of the virtual host that served it. It is
// safe for concurrent use; set it as proxy.Options.AccessLog.
func (l *Logger) Log(e *proxy.LogEntry) {
	ts, ok := l.byServer[e.Server]
	if !ok {
		ts = l.main
	}
	if len(ts) == 0 {
		return
	}
	bp := l.bufs.Get().(*[]byte)
	for _, t := range ts {
		if t.env != "" {
			_, set := e.Env[t.env]
			if set == t.negate {
				continue
			}
		}
		b := t.format.Append((*bp)[:0], e)
		b = append(b, '\n')
		t.out.mu.Lock()
		_, _ = t.out.w.Write(b)
		t.out.mu.Unlock()
		*bp = b
	}
	l.bufs.Put(bp)
}

// Close closes every file and pipe (waiting for piped loggers to exit).
func (l *Logger) Close() error {
	var first error
	for _, o := range l.outputs {
		o.mu.Lock()
		if err := o.c.Close(); err != nil && first == nil {
			first = err
		}
		if o.cmd != nil {
			_ = o.cmd.Wait()
		}
		o.mu.Unlock()
	}
	return first
}
