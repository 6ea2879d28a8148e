package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/parser"
)

// configPath is the main config file: -f, made absolute against -d as httpd
// does for a relative path.
func (o *options) configPath() string {
	if filepath.IsAbs(o.configFile) {
		return o.configFile
	}
	return filepath.Join(o.serverRoot, o.configFile)
}

// loadOptions turns the flags into the loader's options. It reads the
// envvars file (--envvars; by default Debian's ServerRoot/envvars when the
// default config is used, as apache2ctl does).
func (o *options) loadOptions() (directives.LoadOptions, error) {
	env := map[string]string{}
	envFile := o.envvars
	if envFile == "" && !o.configSet {
		candidate := filepath.Join(o.serverRoot, "envvars")
		if _, err := os.Stat(candidate); err == nil {
			envFile = candidate
		}
	}
	if envFile != "" {
		vars, err := parser.ParseEnvvars(envFile)
		if err != nil {
			return directives.LoadOptions{}, fmt.Errorf("reading envvars: %w", err)
		}
		env = vars
	}
	lookup := func(name string) (string, bool) {
		if v, ok := env[name]; ok {
			return v, true
		}
		return os.LookupEnv(name)
	}
	return directives.LoadOptions{
		ServerRoot: o.serverRoot,
		Defines:    o.defines,
		Before:     o.before,
		After:      o.after,
		Env:        lookup,
		Version:    apacheVersion,
	}, nil
}
