package main

import (
	"math/rand"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"
)

// A server that stalls for its first 400 ms, then answers at once: the open loop must still count every
// request the schedule asked for, and charge the stall to the requests that were due during it.
func TestOpenLoopChargesAStallToTheRequestsDueDuringIt(t *testing.T) {
	stallUntil := time.Now().Add(400 * time.Millisecond)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Until(stallUntil))
	}))
	defer server.Close()
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 4}}
	send := func(w, i, path int, rng *rand.Rand, from time.Time) sample {
		resp, err := client.Get(server.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return sample{latency: time.Since(from), status: "200"}
	}
	start := time.Now()
	got := openLoop(100, 4, 1, start, start.Add(time.Second), send)[0]
	if len(got) < 98 || len(got) > 100 {
		t.Fatalf("open loop at 100/s for 1 s measured %d requests, want ~100 whatever the server did", len(got))
	}
	latencies := make([]time.Duration, len(got))
	for i, s := range got {
		latencies[i] = s.latency
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if worst := latencies[len(latencies)-1]; worst < 350*time.Millisecond {
		t.Fatalf("the first request was due at once and answered after the 400 ms stall, yet the worst is %v", worst)
	}
	if p50 := latencies[len(latencies)/2]; p50 > 100*time.Millisecond {
		t.Fatalf("after the stall requests are answered at once; p50 %v", p50)
	}

}
