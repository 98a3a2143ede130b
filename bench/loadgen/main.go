// loadgen: a small HTTP load generator for the Buteco benchmarks (stdlib only), closed or open loop.
//
// Closed loop (default): each of -c workers keeps one keep-alive connection busy: send, read the whole
// answer, repeat. Open loop (-rate R): requests are sent on a fixed schedule, R per second, whatever the
// server does; a request's latency runs from its SCHEDULED send time, so a stalled server shows up as
// latency instead of as fewer requests (no coordinated omission). -c then caps the connections.
// Requests started (or scheduled) during -warmup are not counted; then it measures for -d (or exactly
// -n requests, closed loop) and prints one JSON object: throughput, latency percentiles, each status.
// With several comma-separated -path values the requests alternate between them and each path also
// gets its own figures ("by_path"), so two endpoints are compared under exactly the same conditions.
//
//	loadgen -mode transfer -url http://127.0.0.1:5002 -guild 9 -user-base 100 -users 200 -c 32 -d 20s
//	loadgen -mode get -url http://127.0.0.1:5002 -path /guilds/9/members/1/balance,/guilds/9/members/2/balance -c 1 -n 4000
//	loadgen -mode transfer -url http://127.0.0.1:5002 -guild 9 -user-base 100 -users 200 -rate 200 -c 256 -d 20s
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

type sample struct {
	path     int // index into the -path list (0 for transfers)
	latency  time.Duration
	status   string // HTTP status, or "error" for a transport error
	replayed bool   // the answer carried Idempotent-Replayed
}

type stats struct {
	Requests   int               `json:"requests"`
	Seconds    float64           `json:"seconds"`
	PerSecond  float64           `json:"per_second"`
	MeanMs     float64           `json:"mean_ms"`
	P50Ms      float64           `json:"p50_ms"`
	P90Ms      float64           `json:"p90_ms"`
	P99Ms      float64           `json:"p99_ms"`
	MaxMs      float64           `json:"max_ms"`
	Status     map[string]int    `json:"status"`
	Unexpected int               `json:"unexpected"` // answers whose status is not -expect, plus transport errors
	Replayed   int               `json:"replayed"`   // must be 0: every key is unique
	FirstError string            `json:"first_error,omitempty"`
	ByPath     map[string]*stats `json:"by_path,omitempty"`
	// Open loop only: the schedule's rate; per_second is then the rate of answers to measured sends.
	OfferedPerSecond float64 `json:"offered_per_second,omitempty"`
}

func summarize(samples []sample, seconds float64, expect string) *stats {
	out := &stats{Requests: len(samples), Seconds: seconds, Status: map[string]int{}}
	if len(samples) == 0 {
		return out
	}
	latencies := make([]time.Duration, len(samples))
	var sum time.Duration
	for i, s := range samples {
		latencies[i] = s.latency
		sum += s.latency
		out.Status[s.status]++
		if s.status != expect {
			out.Unexpected++
		}
		if s.replayed {
			out.Replayed++
		}
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	pct := func(p float64) float64 { return ms(latencies[int(p*float64(len(latencies)-1)+0.5)]) }
	out.PerSecond = float64(len(samples)) / seconds
	out.MeanMs = ms(sum / time.Duration(len(samples)))
	out.P50Ms, out.P90Ms, out.P99Ms, out.MaxMs = pct(0.50), pct(0.90), pct(0.99), ms(latencies[len(latencies)-1])
	return out
}

func main() {
	mode := flag.String("mode", "get", "get | transfer")
	base := flag.String("url", "http://127.0.0.1:5002", "service base URL")
	pathList := flag.String("path", "/health", "path(s) for -mode get, comma-separated to alternate")
	token := flag.String("token", os.Getenv("BOT_API_TOKEN"), "bearer token: the bot's credential (only the bot may transfer)")
	clients := flag.Int("c", 32, "concurrent connections")
	duration := flag.Duration("d", 20*time.Second, "measured duration (ignored with -n)")
	total := flag.Int("n", 0, "measure exactly this many requests instead of -d")
	warmup := flag.Duration("warmup", 3*time.Second, "uncounted warm-up")
	guild := flag.Uint64("guild", 0, "guild id (-mode transfer)")
	userBase := flag.Uint64("user-base", 0, "first Discord id of the funded members (-mode transfer)")
	users := flag.Int("users", 0, "number of funded members with consecutive Discord ids (-mode transfer)")
	keyPrefix := flag.String("key-prefix", strconv.FormatInt(time.Now().UnixNano(), 36), "Idempotency-Key prefix")
	expect := flag.Int("expect", 0, "expected status (default 201 for transfer, 200 for get)")
	shape := flag.String("shape", "buteco", "transfer API: buteco (POST /guilds/{g}/transfers) | chorume (POST /balance/transaction, bench/baseline)")
	rate := flag.Float64("rate", 0, "open loop: send this many requests per second on a fixed schedule (0: closed loop)")
	flag.Parse()
	if *expect == 0 {
		*expect = map[string]int{"transfer": 201, "get": 200}[*mode]
		if *shape == "chorume" {
			*expect = 200
		}
	}
	if *mode == "transfer" && (*guild == 0 || *users < 2) {
		fail("-mode transfer needs -guild, -user-base and -users >= 2")
	}
	paths := strings.Split(*pathList, ",")

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: *clients, MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients, DisableCompression: true,
	}}
	transferURL := fmt.Sprintf("%s/guilds/%d/transfers", *base, *guild)
	newRequest := func(w, i, path int, rng *rand.Rand) *http.Request {
		if *mode == "get" {
			req, _ := http.NewRequest(http.MethodGet, *base+paths[path], nil)
			req.Header.Set("Authorization", "Bearer "+*token)
			return req
		}
		from := rng.Intn(*users)
		to := (from + 1 + rng.Intn(*users-1)) % *users // anyone but the sender
		url, format := transferURL, `{"from_user_id":"%d","to_user_id":"%d","amount":%d}`
		if *shape == "chorume" {
			url, format = *base+"/balance/transaction", `{"senderId":"%d","receiverId":"%d","amount":%d}`
		}
		body := fmt.Sprintf(format, *userBase+uint64(from), *userBase+uint64(to), 1+rng.Intn(100))
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
		req.Header.Set("Authorization", "Bearer "+*token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("%s-%d-%d", *keyPrefix, w, i))
		return req
	}

	var (
		mu       sync.Mutex
		firstErr string
	)
	// send makes one request and reads the whole answer; latency is counted from `from`.
	send := func(w, i, path int, rng *rand.Rand, from time.Time) sample {
		s := sample{path: path, status: "error"}
		resp, err := client.Do(newRequest(w, i, path, rng))
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			s.status, s.replayed = strconv.Itoa(resp.StatusCode), resp.Header.Get("Idempotent-Replayed") != ""
		}
		s.latency = time.Since(from)
		if s.status != strconv.Itoa(*expect) {
			mu.Lock()
			if firstErr == "" {
				firstErr = fmt.Sprintf("status %s, error %v", s.status, err)
			}
			mu.Unlock()
		}
		return s
	}
	measureFrom := time.Now().Add(*warmup)
	measureTo := measureFrom.Add(*duration)
	var perWorker [][]sample
	if *rate > 0 {
		perWorker = openLoop(*rate, *clients, len(paths), measureFrom, measureTo, send)
	} else {
		perWorker = closedLoop(*clients, *total, len(paths), measureFrom, measureTo, send)
	}
	seconds := measureTo.Sub(measureFrom).Seconds()
	if *rate <= 0 {
		seconds = time.Since(measureFrom).Seconds()
	}

	var all []sample
	for _, samples := range perWorker {
		all = append(all, samples...)
	}
	out := summarize(all, seconds, strconv.Itoa(*expect))
	out.FirstError = firstErr
	if *rate > 0 {
		out.OfferedPerSecond = *rate
	}
	if len(paths) > 1 {
		out.ByPath = map[string]*stats{}
		for p, path := range paths {
			var mine []sample
			for _, s := range all {
				if s.path == p {
					mine = append(mine, s)
				}
			}
			out.ByPath[path] = summarize(mine, seconds, strconv.Itoa(*expect))
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "loadgen:", msg)
	os.Exit(2)
}

type sender func(w, i, path int, rng *rand.Rand, from time.Time) sample

// closedLoop: each worker sends, waits for the answer, and sends again; latency from the actual send.
func closedLoop(clients, total, paths int, measureFrom, measureTo time.Time, send sender) [][]sample {
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		remaining = total // shared budget for -n
	)
	take := func() bool { // for -n: may one more measured request start?
		mu.Lock()
		defer mu.Unlock()
		remaining--
		return remaining >= 0
	}
	perWorker := make([][]sample, clients)
	for w := range perWorker {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(time.Now().UnixNano() + int64(w)*7919))
			for i := 0; ; i++ {
				began := time.Now()
				counted := !began.Before(measureFrom)
				if counted && ((total > 0 && !take()) || (total == 0 && !began.Before(measureTo))) {
					return
				}
				s := send(w, i, (w+i)%paths, rng, began)
				if counted {
					perWorker[w] = append(perWorker[w], s)
				}
			}
		}(w)
	}
	wg.Wait()
	return perWorker
}

// openLoop: request n is due at start + n/rate and is sent then, on its own goroutine, however many are still
// in flight (the transport queues them once -c connections are busy); its latency runs from its due time.
func openLoop(rate float64, conns, paths int, measureFrom, measureTo time.Time, send sender) [][]sample {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		got []sample
	)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	rng := rand.New(rand.NewSource(start.UnixNano()))
	for n := 0; ; n++ {
		due := start.Add(time.Duration(n) * interval)
		if !due.Before(measureTo) {
			break
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		counted := !due.Before(measureFrom)
		own := rand.New(rand.NewSource(rng.Int63()))
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			s := send(n%conns, n, n%paths, own, due)
			if counted {
				mu.Lock()
				got = append(got, s)
				mu.Unlock()
			}
		}(n)
	}
	wg.Wait()
	return [][]sample{got}
}
