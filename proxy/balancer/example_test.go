package balancer_test

import (
	"context"
	"fmt"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/balancer"
)

func Example() {
	member := func(name, route string, lf int) *model.Worker {
		return &model.Worker{Name: name, Params: model.WorkerParams{LoadFactor: lf * 100, Route: route, Retry: time.Minute}}
	}
	cfg := &model.Balancer{
		Name:     "balancer://c1",
		Members:  []*model.Worker{member("http://10.0.0.1", "n1", 1), member("http://10.0.0.2", "n2", 3)},
		LBMethod: "byrequests", StickyCookie: "JSESSIONID", StickyParam: "jsessionid",
		StickySep: ".", MaxAttempts: -1, ForceRecovery: true,
	}
	reg := balancer.NewRegistry(balancer.NewManualClock(time.Unix(0, 0)))
	b := reg.Balancer(cfg)

	d := b.Pick(context.Background(), &balancer.Request{URL: "balancer://c1/app", Cookie: "JSESSIONID=abc.n1"})
	fmt.Println(d.Member.Name(), d.Session.Source, d.Session.Route, d.RouteChanged)
	for _, e := range d.AppendEnv(nil) {
		fmt.Println(e.Name + "=" + e.Value)
	}
	d.Member.Release(512, 2048)

	d = b.Pick(context.Background(), &balancer.Request{URL: "balancer://c1/app", Explain: true})
	for _, c := range d.Considered {
		fmt.Printf("%s lbstatus=%d: %v\n", c.Name, c.LBStatus, c.Reason)
	}
	d.Member.Release(0, 0)
	// Output:
	// http://10.0.0.1 cookie n1 false
	// BALANCER_NAME=balancer://c1
	// BALANCER_WORKER_NAME=http://10.0.0.1
	// BALANCER_WORKER_ROUTE=n1
	// BALANCER_SESSION_STICKY=JSESSIONID
	// BALANCER_SESSION_ROUTE=n1
	// http://10.0.0.1 lbstatus=-200: usable, lbmethod preferred another member
	// http://10.0.0.2 lbstatus=200: chosen by lbmethod
}
