package rewrite

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

func hr(cond, action, name, value string, extra ...string) model.HeaderRule {
	r := model.HeaderRule{Condition: cond, Action: action, Name: name, Value: value}
	if len(extra) > 0 {
		r.EnvCond = extra[0]
	}
	if len(extra) > 1 {
		r.Replace = extra[1]
	}
	return r
}

func TestHeaderActions(t *testing.T) {
	start := time.Unix(1700000000, 0)
	ctx := &HeaderContext{
		Env:     map[string]string{"BALANCER_WORKER_ROUTE": "n1", "BALANCER_ROUTE_CHANGED": "1"},
		Request: http.Header{"X-Req-A": {"1"}, "X-Req-B": {"2"}, "Other": {"3"}},
		Vars: func(n string) (string, bool) {
			return map[string]string{"REMOTE_ADDR": "192.0.2.1"}[n], n == "REMOTE_ADDR"
		},
		Start: start, Now: start.Add(1500 * time.Microsecond),
	}
	tests := []struct {
		name string
		rule model.HeaderRule
		in   http.Header
		want http.Header
	}{
		{"set", hr("onsuccess", "set", "X-A", "v"), http.Header{"X-A": {"1", "2"}}, http.Header{"X-A": {"v"}}},
		{"add", hr("onsuccess", "add", "Set-Cookie", "ROUTEID=.%{BALANCER_WORKER_ROUTE}e; path=/", "env=BALANCER_ROUTE_CHANGED"),
			http.Header{"Set-Cookie": {"a=b"}}, http.Header{"Set-Cookie": {"a=b", "ROUTEID=.n1; path=/"}}},
		{"env cond false", hr("onsuccess", "add", "X-A", "v", "env=NOPE"), http.Header{}, http.Header{}},
		{"env cond negated", hr("onsuccess", "add", "X-A", "v", "env=!NOPE"), http.Header{}, http.Header{"X-A": {"v"}}},
		{"unset env null", hr("onsuccess", "set", "X-A", "%{NOPE}e"), http.Header{}, http.Header{"X-A": {"(null)"}}},
		{"append", hr("onsuccess", "append", "X-A", "c"), http.Header{"X-A": {"a", "b"}}, http.Header{"X-A": {"a, b, c"}}},
		{"append new", hr("onsuccess", "append", "X-A", "c"), http.Header{}, http.Header{"X-A": {"c"}}},
		{"merge present", hr("onsuccess", "merge", "Cache-Control", "no-cache"), http.Header{"Cache-Control": {"private, no-cache"}}, http.Header{"Cache-Control": {"private, no-cache"}}},
		{"merge absent", hr("onsuccess", "merge", "Cache-Control", "no-store"), http.Header{"Cache-Control": {"private"}}, http.Header{"Cache-Control": {"private, no-store"}}},
		{"setifempty", hr("onsuccess", "setifempty", "X-A", "v"), http.Header{"X-A": {"keep"}}, http.Header{"X-A": {"keep"}}},
		{"setifempty empty", hr("onsuccess", "setifempty", "X-A", "v"), http.Header{}, http.Header{"X-A": {"v"}}},
		{"unset", hr("onsuccess", "unset", "Server", ""), http.Header{"Server": {"x"}, "X": {"y"}}, http.Header{"X": {"y"}}},
		{"echo", hr("onsuccess", "echo", "^X-Req", ""), http.Header{}, http.Header{"X-Req-A": {"1"}, "X-Req-B": {"2"}}},
		{"edit", hr("onsuccess", "edit", "Location", "^http://(.*)$", "", "https://$1"), http.Header{"Location": {"http://h/x"}}, http.Header{"Location": {"https://h/x"}}},
		{"edit first", hr("onsuccess", "edit", "X-A", "a", "", "b"), http.Header{"X-A": {"aaa"}}, http.Header{"X-A": {"baa"}}},
		{"edit*", hr("onsuccess", "edit*", "X-A", "a", "", "b"), http.Header{"X-A": {"aaa"}}, http.Header{"X-A": {"bbb"}}},
		{"times", hr("onsuccess", "set", "X-T", "%t %D %%"), http.Header{}, http.Header{"X-T": {"t=1700000000000000 D=1500 %"}}},
		{"expr", hr("onsuccess", "set", "X-Real-Client-IP", "expr=%{REMOTE_ADDR}"), http.Header{}, http.Header{"X-Real-Client-Ip": {"192.0.2.1"}}},
		{"expr value function", hr("onsuccess", "set", "X-Low", "expr=%{tolower:ABC}-x"), http.Header{}, http.Header{"X-Low": {"abc-x"}}},
		{"expr condition true", hr("onsuccess", "set", "X-C", "1", "expr=%{REMOTE_ADDR} -ipmatch '192.0.2.0/24'"), http.Header{}, http.Header{"X-C": {"1"}}},
		{"expr condition false", hr("onsuccess", "set", "X-C", "1", "expr=%{ENV:BALANCER_WORKER_ROUTE} == 'n2'"), http.Header{}, http.Header{}},
	}
	for _, tt := range tests {
		h := tt.in.Clone()
		ApplyResponse([]model.HeaderRule{tt.rule}, h, ctx, Proxied)
		if !reflect.DeepEqual(h, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, h, tt.want)
		}
	}
}

func TestHeaderConditionTables(t *testing.T) {
	rules := []model.HeaderRule{hr("onsuccess", "set", "X-On", "1"), hr("always", "set", "X-Always", "1")}
	for kind, want := range map[ResponseKind]string{Proxied: "1/1", LocalSuccess: "1/1", LocalError: "/1"} {
		h := http.Header{}
		ApplyResponse(rules, h, &HeaderContext{}, kind)
		if got := h.Get("X-On") + "/" + h.Get("X-Always"); got != want {
			t.Errorf("kind %d: %s, want %s", kind, got, want)
		}
	}
	h := http.Header{"X-Forwarded-Proto": {"http"}}
	ApplyRequest([]model.HeaderRule{hr("onsuccess", "set", "X-Forwarded-Proto", "https"), hr("onsuccess", "unset", "Cookie", "")}, h, &HeaderContext{})
	if h.Get("X-Forwarded-Proto") != "https" {
		t.Errorf("request header: %v", h)
	}
}
