//go:build ignore

// Command compare is balancerd's load comparison with Apache httpd: two
// recording backends, then Apache (event MPM) and balancerd side by side (loads alternate), both
// serving the same vhost file (the seed's, testdata/conformance/01-seed),
// measured with wrk. See README.md in this directory.
//
//	go run ./testdata/load/compare.go [-d 10s] [-c 64] [-pin] [-balancerd PATH]
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/balancerd/balancerd/proxy/conformance/harness"
)

// debianEventMPM is Debian's mods-available/mpm_event.conf.
const debianEventMPM = `StartServers 2
MinSpareThreads 25
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0`

type load struct {
	name    string
	headers []string
}

var loads = []load{
	{"keep-alive, no cookie", nil},
	{"keep-alive, sticky cookie", []string{"Cookie: BALANCEID=balancer.http1"}},
	{"Connection: close", []string{"Connection: close"}},
}

type result struct {
	// backendConns counts the connections the backends accepted during
	// the run (connection reuse towards the backends).
	backendConns int
	// cpuPerReq is the server's CPU time (user+system, all its processes)
	// per request of the run; 0 where /proc is not available.
	cpuPerReq time.Duration
	// wrkPerReq is wrk's CPU time per request (from its rusage).
	wrkPerReq time.Duration
	// backendsPerReq is the CPU time of this process (the backends, and
	// nothing else during a run) per request.
	backendsPerReq time.Duration
	// util is the server's CPU seconds per wall-clock second of the run
	// (1 = one core fully used).
	util float64
	// lean is the share of the backends' requests answered on their lean
	// path (see harness.Backend.LeanRequests); 1 when they cost least.
	lean float64
	// wrkCPU is wrk's CPU time for the whole run.
	wrkCPU   time.Duration
	requests int64
	rps      float64
	p99      time.Duration
	non2xx   string
	errs     string
	failure  string
}

func main() {
	dur := flag.Duration("d", 10*time.Second, "duration of each wrk run")
	conns := flag.Int("c", 64, "wrk connections")
	threads := flag.Int("t", 2, "wrk threads")
	bdBin := flag.String("balancerd", "", "balancerd binary (default: go build ./cmd/balancerd)")
	vhost := flag.String("vhost", "testdata/conformance/01-seed/vhost.conf", "vhost file served by both")
	only := flag.String("only", "", "run only this server (Apache or balancerd), e.g. to profile it")
	pinFlag := flag.Bool("pin", false, "server under test on CPU 1 only, wrk and the backends on CPU 0 only (needs 2 CPUs and taskset)")
	flag.Parse()
	if err := run(*dur, *conns, *threads, *bdBin, *vhost, *only, *pinFlag); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func run(dur time.Duration, conns, threads int, bdBin, vhost, only string, pinned bool) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return fmt.Errorf("wrk not found (Debian: apt-get install wrk)")
	}
	if pinned {
		if _, err := exec.LookPath("taskset"); err != nil {
			return fmt.Errorf("-pin needs taskset (Debian: util-linux)")
		}
		cpus := allowedCPUs(os.Getpid())
		if len(cpus) < 2 {
			fmt.Fprintf(os.Stderr, "-pin: CPUs allowed: %s; running unpinned\n", affinity(os.Getpid()))
			pinned = false
		} else {
			loadCPU, serverCPU = cpus[0], cpus[1]
		}
	}
	apache, err := harness.FindApache()
	if err != nil {
		return err
	}
	vhost, err = filepath.Abs(vhost)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "balancerd-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if bdBin == "" {
		// Not tmp/balancerd: that is balancerd's server directory below.
		if err := os.MkdirAll(filepath.Join(tmp, "bin"), 0o755); err != nil {
			return err
		}
		bdBin = filepath.Join(tmp, "bin", "balancerd")
		build := exec.Command("go", "build", "-o", bdBin, "./cmd/balancerd")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building balancerd: %w", err)
		}
	}
	if pinned {
		// After the build, which may use every CPU. Threads the runtime
		// starts later inherit the affinity of the thread that starts them.
		pin := exec.Command("taskset", "-a", "-p", "-c", loadCPU, strconv.Itoa(os.Getpid()))
		if out, err := pin.CombinedOutput(); err != nil {
			return fmt.Errorf("pinning the backends to CPU %s: %v: %s", loadCPU, err, out)
		}
		runtime.GOMAXPROCS(1)
		// apache2 under taskset; exec keeps its pid, its children inherit
		// the affinity.
		wrapper := filepath.Join(tmp, "apache2-pinned")
		script := "#!/bin/sh\nexec taskset -c " + serverCPU + " '" + strings.ReplaceAll(apache, "'", `'\''`) + "' \"$@\"\n"
		if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
			return err
		}
		apache = wrapper
	}

	rec := &harness.Recorder{}
	var backends []*harness.Backend
	var vars = harness.Vars{"SCENARIO_DIR": filepath.Dir(vhost)}
	for _, name := range []string{"http1", "http2"} {
		b := &harness.Backend{Name: name, Silent: true, Rules: []harness.Rule{{
			Action:  harness.ActOK,
			Headers: []string{"Set-Cookie: BALANCEID=balancer." + name + "; path=/; domain=.example.com"},
		}}}
		if err := b.Start(rec); err != nil {
			return err
		}
		defer b.Close()
		backends = append(backends, b)
		vars[harness.VarName(name)] = b.Addr()
		vars[harness.VarName(name)+"_PORT"] = strconv.Itoa(b.Port())
	}

	servers := []struct {
		name  string
		start func(dir string, v harness.Vars) (func(), func() int, error)
	}{
		{"Apache", func(dir string, v harness.Vars) (func(), func() int, error) {
			conf, err := harness.WriteMainConfig(harness.MainConfig{Dir: dir, Include: vhost, MPM: debianEventMPM})
			if err != nil {
				return nil, nil, err
			}
			a, err := harness.StartApache(apache, conf, dir, v["FRONT"], v)
			if err != nil {
				return nil, nil, err
			}
			pid := func() int {
				b, _ := os.ReadFile(filepath.Join(dir, "apache2.pid"))
				n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				return n
			}
			return a.Stop, pid, nil
		}},
		{"balancerd", func(dir string, v harness.Vars) (func(), func() int, error) {
			conf, err := harness.WriteMainConfig(harness.MainConfig{Dir: dir, Include: vhost, MPM: debianEventMPM})
			if err != nil {
				return nil, nil, err
			}
			return startBinary(bdBin, conf, dir, v, pinned)
		}},
	}
	// Both servers run for the whole comparison; the loads alternate
	// between them so that background noise on the machine hits both alike.
	fronts := map[string]string{}
	pids := map[string]func() int{}
	for _, s := range servers {
		if only != "" && only != s.name {
			continue
		}
		dir := filepath.Join(tmp, s.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		port, err := harness.FreePort()
		if err != nil {
			return err
		}
		v := harness.Vars{}
		for k, val := range vars {
			v[k] = val
		}
		v["FRONT_PORT"] = strconv.Itoa(port)
		v["FRONT"] = "127.0.0.1:" + v["FRONT_PORT"]
		stop, pid, err := s.start(dir, v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s did not start: %v\n", s.name, err)
			continue
		}
		defer stop()
		fronts[s.name] = v["FRONT"]
		pids[s.name] = pid
		fmt.Fprintf(os.Stderr, "%-9s on %s, CPUs allowed: %s\n", s.name, v["FRONT"], affinity(pid()))
	}
	fmt.Fprintf(os.Stderr, "wrk and backends: CPUs allowed: %s\n", affinity(os.Getpid()))
	results := map[string][]result{}
	for _, l := range loads {
		for _, s := range servers {
			front, ok := fronts[s.name]
			if only != "" && only != s.name {
				results[s.name] = append(results[s.name], result{failure: "not run (-only)"})
				continue
			}
			if !ok {
				results[s.name] = append(results[s.name], result{failure: "did not start"})
				continue
			}
			// Warm up connections and pools for a second, then measure.
			wrk(front, l.headers, time.Second, conns, threads, pinned)
			before, lean0 := backendConns(backends), leanRequests(backends)
			pid := pids[s.name]()
			cpu0, cpuOK := cpuTime(pid)
			self0 := selfCPU()
			start := time.Now()
			r := wrk(front, l.headers, dur, conns, threads, pinned)
			wall := time.Since(start)
			self1 := selfCPU()
			r.backendConns = backendConns(backends) - before
			if r.requests > 0 {
				n := time.Duration(r.requests)
				if cpu1, ok := cpuTime(pid); ok && cpuOK {
					r.cpuPerReq = (cpu1 - cpu0) / n
					r.util = float64(cpu1-cpu0) / float64(wall)
				}
				r.wrkPerReq = r.wrkCPU / n
				r.backendsPerReq = (self1 - self0) / n
				r.lean = float64(leanRequests(backends)-lean0) / float64(r.requests)
			}
			fmt.Fprintf(os.Stderr, "%-9s %-26s %10.0f req/s  p99 %v  CPU/request: server %v + wrk %v + backends %v = %v  server utilisation %.2f  capacity %s  lean backend requests %.0f%%  new backend connections %d%s%s%s\n",
				s.name, l.name, r.rps, r.p99, r.cpuPerReq, r.wrkPerReq, r.backendsPerReq, r.totalPerReq(),
				r.util, capacityCell(r), 100*r.lean, r.backendConns, r.non2xx, r.errs, r.failure)
			results[s.name] = append(results[s.name], r)
		}
	}
	printTable(dur, conns, pinned, results)
	return nil
}

// CPUs of -pin: the server under test alone on serverCPU, wrk and the
// backends (this process) on loadCPU; the first two CPUs this process may
// use (0 and 1 on a machine of its own).
var (
	serverCPU = "1"
	loadCPU   = "0"
)

// allowedCPUs lists the CPUs a process may run on, from the
// Cpus_allowed_list of /proc ("0-1", "0,2-5").
func allowedCPUs(pid int) []string {
	var cpus []string
	for _, part := range strings.Split(affinity(pid), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil
			}
		}
		for c := a; c <= b && len(cpus) < 2; c++ {
			cpus = append(cpus, strconv.Itoa(c))
		}
	}
	return cpus
}

// affinity is the CPU list a process may run on (from /proc), "?" if
// unknown.
func affinity(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}

// selfCPU is the CPU time (user+system) this process used so far: during a
// run, that of the backends.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func backendConns(bs []*harness.Backend) int {
	n := 0
	for _, b := range bs {
		a, _ := b.Connections()
		n += a
	}
	return n
}

func leanRequests(bs []*harness.Backend) int64 {
	var n int64
	for _, b := range bs {
		n += b.LeanRequests()
	}
	return n
}

// startBinary runs "balancerd -f conf" with vars in its environment and
// waits until it accepts connections.
func startBinary(bin, conf, dir string, v harness.Vars, pinned bool) (func(), func() int, error) {
	cmd := exec.Command(bin, "-f", conf)
	if pinned {
		// taskset execs balancerd: same pid.
		cmd = exec.Command("taskset", "-c", serverCPU, bin, "-f", conf)
	}
	cmd.Env = append(os.Environ(), v.Env()...)
	logf, err := os.Create(filepath.Join(dir, "balancerd.log"))
	if err != nil {
		return nil, nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-done:
			log, _ := os.ReadFile(logf.Name())
			return nil, nil, fmt.Errorf("balancerd exited at start:\n%s", log)
		default:
		}
		if c, err := net.DialTimeout("tcp", v["FRONT"], 200*time.Millisecond); err == nil {
			c.Close()
			return stop, func() int { return cmd.Process.Pid }, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("balancerd did not listen on %s within 15s", v["FRONT"])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	rpsRE  = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	p99RE  = regexp.MustCompile(`(?m)^\s+99%\s+([0-9.]+)(us|ms|s)\s*$`)
	non2RE = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	errRE  = regexp.MustCompile(`Socket errors: ([^\n]+)`)
	reqRE  = regexp.MustCompile(`(\d+) requests in`)
)

func wrk(addr string, headers []string, d time.Duration, conns, threads int, pinned bool) result {
	args := []string{"-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d.Seconds())), "--latency", "--timeout", "5s"}
	// Host selects the seed's vhost by name, like a browser would.
	args = append(args, "-H", "Host: www.example.com")
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	args = append(args, "http://"+addr+"/")
	cmd := exec.Command("wrk", args...)
	if pinned {
		// taskset execs wrk: its rusage is wrk's.
		cmd = exec.Command("taskset", append([]string{"-c", loadCPU, "wrk"}, args...)...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return result{failure: fmt.Sprintf("wrk: %v: %s", err, out)}
	}
	var r result
	r.wrkCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if m := rpsRE.FindSubmatch(out); m != nil {
		r.rps, _ = strconv.ParseFloat(string(m[1]), 64)
	}
	if m := p99RE.FindSubmatch(out); m != nil {
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[string(m[2])]
		r.p99 = time.Duration(v * float64(unit))
	}
	if m := reqRE.FindSubmatch(out); m != nil {
		r.requests, _ = strconv.ParseInt(string(m[1]), 10, 64)
	}
	if m := non2RE.FindSubmatch(out); m != nil {
		r.non2xx = " non-2xx=" + string(m[1])
	}
	if m := errRE.FindSubmatch(out); m != nil {
		r.errs = " socket errors: " + strings.TrimSpace(string(m[1]))
	}
	return r
}

func printTable(d time.Duration, conns int, pinned bool, res map[string][]result) {
	mode := "shared: server, wrk and backends on all CPUs"
	if pinned {
		mode = "pinned: server on CPU " + serverCPU + ", wrk and backends on CPU " + loadCPU
	}
	fmt.Printf("wrk, %d connections, %v per run, same machine, same run, %s (%s)\n\n", conns, d, mode, time.Now().UTC().Format(time.RFC3339))
	fmt.Println("| Load | Apache req/s | Apache p99 | balancerd req/s | balancerd p99 | req/s ratio | p99 ratio | capacity A / b | capacity ratio | backend conns A / b |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")
	for i, l := range loads {
		a, b := res["Apache"][i], res["balancerd"][i]
		ratio, p99ratio, capRatio := "-", "-", "-"
		if a.rps > 0 && b.rps > 0 {
			ratio = fmt.Sprintf("%.2f×", b.rps/a.rps)
		}
		if a.p99 > 0 && b.p99 > 0 {
			p99ratio = fmt.Sprintf("%.2f×", float64(b.p99)/float64(a.p99))
		}
		if ca, cb := capacity(a), capacity(b); ca > 0 && cb > 0 {
			capRatio = fmt.Sprintf("%.2f×", cb/ca)
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %d / %d |\n", l.name, cell(a), p99(a), cell(b), p99(b), ratio, p99ratio,
			capacityCell(a), capacityCell(b), capRatio, a.backendConns, b.backendConns)
	}
	fmt.Println()
	fmt.Println("CPU time per request (user+system): server + wrk + backends = whole machine")
	fmt.Println()
	fmt.Println("| Load | Server | req/s | server | wrk | backends | total | server utilisation | capacity (req/s per server core) |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for i, l := range loads {
		for _, n := range []string{"Apache", "balancerd"} {
			r := res[n][i]
			fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", l.name, n, cell(r), cpuCell(r.cpuPerReq),
				cpuCell(r.wrkPerReq), cpuCell(r.backendsPerReq), cpuCell(r.totalPerReq()), utilCell(r), capacityCell(r))
		}
	}
	for _, n := range []string{"Apache", "balancerd"} {
		for i, r := range res[n] {
			if r.non2xx != "" || r.errs != "" || r.failure != "" {
				fmt.Printf("\n%s, %s:%s%s %s", n, loads[i].name, r.non2xx, r.errs, r.failure)
			}
		}
	}
	fmt.Println()
}

// totalPerReq is the CPU time of the whole machine's share in the run per
// request: server + wrk + backends (0 if the server's is unknown).
func (r result) totalPerReq() time.Duration {
	if r.cpuPerReq <= 0 {
		return 0
	}
	return r.cpuPerReq + r.wrkPerReq + r.backendsPerReq
}

// capacity is requests/s ÷ server utilisation: the requests per second one
// fully used core would serve at this run's server CPU cost per request.
func capacity(r result) float64 {
	if r.failure != "" || r.util <= 0 {
		return 0
	}
	return r.rps / r.util
}

func capacityCell(r result) string {
	c := capacity(r)
	if c <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", c)
}

func utilCell(r result) string {
	if r.failure != "" || r.util <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r.util)
}

func cell(r result) string {
	if r.failure != "" {
		return "failed"
	}
	return fmt.Sprintf("%.0f", r.rps)
}

func p99(r result) string {
	if r.failure != "" || r.p99 == 0 {
		return "-"
	}
	return r.p99.Round(10 * time.Microsecond).String()
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on Linux).
const clockTicks = 100

// cpuTime is the CPU time (user+system) used so far by process pid and its
// children: its own, that of children it has waited for, and that of its
// live children (Apache's worker processes). ok is false without /proc.
func cpuTime(pid int) (d time.Duration, ok bool) {
	if pid <= 0 {
		return 0, false
	}
	own, _, ok := procStat(pid)
	if !ok {
		return 0, false
	}
	ticks := own
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil || n == pid {
			continue
		}
		if t, ppid, ok := procStat(n); ok && ppid == pid {
			ticks += t
		}
	}
	return time.Duration(ticks) * time.Second / clockTicks, true
}

// procStat reads utime+stime+cutime+cstime and the parent of a process.
func procStat(pid int) (ticks int64, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	for _, k := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		v, _ := strconv.ParseInt(f[k], 10, 64)
		ticks += v
	}
	return ticks, ppid, true
}

func cpuCell(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return d.Round(100 * time.Nanosecond).String()
}
