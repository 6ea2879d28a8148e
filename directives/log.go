package directives

// mod_log_config and core logging directives (spec 9):
//
//	LogFormat format|nickname [nickname]
//	CustomLog file|pipe format|nickname [env=[!]environment-variable|expr=expression]
//	TransferLog file|pipe
//	ErrorLog file-path|syslog[:facility]
//	LogLevel [module:]level [module:level] ...
//
// A LogFormat without nickname sets the TransferLog format; it is kept in
// Server.LogFormats under the empty key.

import (
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
	"github.com/balancerd/balancerd/proxy/access/expr"
)

func init() {
	Implement("LogFormat", applyLogFormat)
	Implement("CustomLog", applyCustomLog)
	Implement("TransferLog", applyCustomLog)
	Implement("ErrorLog", applyErrorLog)
	Implement("PidFile", applyPidFile)
	Implement("LogLevel", applyLogLevel)
}

// DefaultLogFormat is mod_log_config's built-in format.
const DefaultLogFormat = `%h %l %u %t "%r" %>s %b`

// logFormatLetters are the format directives mod_log_config understands,
// with mod_logio's I, O, S and F and mod_ssl's x and c.
const logFormatLetters = "aAbBCDefFhHiklLmnopPqrRstTuUvVXIOSxc%"

// checkLogFormat validates a LogFormat string like parse_log_item.
func checkLogFormat(f string) error {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		// modifiers: status lists, '!', '<', '>', and {arg}
		for i < len(f) {
			c := f[i]
			switch {
			case c == '!' || c == '<' || c == '>' || c == ',' || (c >= '0' && c <= '9'):
				i++
				continue
			case c == '{':
				end := strings.IndexByte(f[i:], '}')
				if end < 0 {
					return apacheErr("Unrecognized LogFormat directive %{")
				}
				i += end + 1
				continue
			}
			break
		}
		if i >= len(f) {
			return apacheErr("Unrecognized LogFormat directive %")
		}
		if f[i] == '^' && i+2 < len(f) {
			i += 2 // %{Name}^ti / ^to
			continue
		}
		if !strings.ContainsRune(logFormatLetters, rune(f[i])) {
			return apacheErrf("Unrecognized LogFormat directive %%%c", f[i])
		}
	}
	return nil
}

func logServer(b *Builder) *model.Server {
	if b.Server == nil {
		b.Server = &model.Server{}
	}
	if b.Server.LogFormats == nil {
		b.Server.LogFormats = map[string]string{}
	}
	return b.Server
}

func applyLogFormat(b *Builder, d *parser.Directive) error {
	args := d.ArgValues()
	if err := checkLogFormat(args[0]); err != nil {
		return err
	}
	s := logServer(b)
	if len(args) == 2 {
		s.LogFormats[args[1]] = args[0]
	} else {
		s.LogFormats[""] = args[0]
	}
	return nil
}

// resolveLogFormat returns the format for a CustomLog's second argument:
// a defined nickname's format, else the text itself (Apache uses an
// unknown nickname literally).
func resolveLogFormat(s *model.Server, f string) string {
	if v, ok := s.LogFormats[f]; ok && !strings.Contains(f, "%") {
		return v
	}
	return f
}

func applyCustomLog(b *Builder, d *parser.Directive) error {
	args := d.ArgValues()
	s := logServer(b)
	cl := model.CustomLog{Source: source(d), Target: args[0]}
	if strings.EqualFold(d.Name, "TransferLog") {
		cl.Format = DefaultLogFormat
		if f, ok := s.LogFormats[""]; ok {
			cl.Format = f
		}
	} else {
		cl.Format = resolveLogFormat(s, args[1])
		if err := checkLogFormat(cl.Format); err != nil {
			return err
		}
		if len(args) > 2 {
			c := args[2]
			switch {
			case strings.HasPrefix(strings.ToLower(c), "env="):
				if c[4:] == "" || c[4:] == "!" {
					return apacheErr("missing environment variable name")
				}
				cl.EnvCond = "env=" + c[4:]
			case strings.HasPrefix(strings.ToLower(c), "expr="):
				if _, err := expr.Parse(c[5:]); err != nil {
					return apacheErrf("%s", err)
				}
				cl.EnvCond = "expr=" + c[5:]
			default:
				return apacheErr("error in condition clause")
			}
		}
	}
	if !strings.HasPrefix(cl.Target, "|") {
		cl.Target = authPath(b, cl.Target)
	}
	s.CustomLogs = append(s.CustomLogs, cl)
	return nil
}

func applyErrorLog(b *Builder, d *parser.Directive) error {
	t := d.Args[0].Value
	if !strings.HasPrefix(t, "|") && !strings.HasPrefix(t, "syslog") {
		t = authPath(b, t)
	}
	logServer(b).ErrorLog = t
	return nil
}

// applyPidFile is core's PidFile FILE (relative to ServerRoot): where
// balancerd writes its process id and where -k finds it.
func applyPidFile(b *Builder, d *parser.Directive) error {
	b.Config.PidFile = authPath(b, d.Args[0].Value)
	return nil
}

var logLevels = map[string]bool{
	"emerg": true, "alert": true, "crit": true, "error": true, "warn": true, "notice": true,
	"info": true, "debug": true, "trace1": true, "trace2": true, "trace3": true, "trace4": true,
	"trace5": true, "trace6": true, "trace7": true, "trace8": true,
}

const logLevelMsg = "Log level keyword must be one of emerg/alert/crit/error/warn/notice/info/debug/trace1/.../trace8"

func applyLogLevel(b *Builder, d *parser.Directive) error {
	for _, a := range d.ArgValues() {
		mod, lvl, hasMod := strings.Cut(a, ":")
		if !hasMod {
			lvl = a
		}
		if !logLevels[strings.ToLower(lvl)] {
			if hasMod {
				return apacheErrf("%s: %s", a, logLevelMsg)
			}
			return apacheErr(logLevelMsg)
		}
		if hasMod && mod == "" {
			return apacheErrf("Cannot find module %s", mod)
		}
	}
	return nil
}
