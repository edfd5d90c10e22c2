package faults

import (
	"fmt"
	"testing"
)

// BenchmarkPickNoMatch is the cost a fault plan adds to a request it does
// not concern: ten faults, each narrowed by a different field, none
// matching.
func BenchmarkPickNoMatch(b *testing.B) {
	p := NewPlan(1)
	for i := range 10 {
		var m Match
		switch i % 5 {
		case 0:
			m.Route = fmt.Sprintf("accounts.%d|components.*", i)
		case 1:
			m.Method = "DELETE|PATCH"
		case 2:
			m.Path = fmt.Sprintf("/v1/connect/*/users/%d/**", i)
		case 3:
			m.ClientID = fmt.Sprint("oc_", i)
		case 4:
			m.ExternalUserID = fmt.Sprint("user-", i)
		}
		mustAdd(b, p, Spec{Match: m, Action: Action{Preset: PresetThrottled}, Times: ptr(0), Probability: ptr(0.5)})
	}
	req := Request{Route: "projects.list", Method: "GET", Path: "/v1/connect/projects", ClientID: "oc_x", ExternalUserID: "u"}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := p.Pick(req); ok {
			b.Fatal("a fault fired")
		}
	}
}

// BenchmarkPickEmpty is the cost on the hot path while no fault is live.
func BenchmarkPickEmpty(b *testing.B) {
	p := NewPlan(1)
	req := Request{Route: "projects.list", Method: "GET", Path: "/v1/connect/projects"}
	b.ReportAllocs()
	for b.Loop() {
		if p.Active() {
			p.Pick(req)
		}
	}
}
