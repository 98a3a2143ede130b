package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func env(values map[string]string) func(string) string {
	return func(name string) string { return values[name] }
}

func TestRunRefusesToStartWithoutUsableSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no token", map[string]string{}, "set JOKE_API_TOKEN: required"},
		{"short token", map[string]string{"JOKE_API_TOKEN": "short"}, "at least 16 characters"},
		{"bad port", map[string]string{"JOKE_API_TOKEN": testToken, "PORT": "http"}, "set PORT"},
		{"bad log level", map[string]string{"JOKE_API_TOKEN": testToken, "LOG_LEVEL": "loud"}, "set LOG_LEVEL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stderr := &strings.Builder{}
			if code := run(context.Background(), nil, env(tt.env), stderr); code != 2 {
				t.Errorf("exit code = %d, want 2", code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tt.want)
			}
		})
	}
}

func TestParseLevelAcceptsThePythonServicesSpelling(t *testing.T) {
	for value, want := range map[string]slog.Level{
		"": slog.LevelInfo, "debug": slog.LevelDebug, "INFO": slog.LevelInfo, "WARNING": slog.LevelWarn,
		"error": slog.LevelError,
	} {
		if got, err := parseLevel(value); err != nil || got != want {
			t.Errorf("parseLevel(%q) = %v, %v; want %v", value, got, err, want)
		}
	}
}

func TestHealthcheckFlag(t *testing.T) {
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer healthy.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	tests := []struct {
		name, url string
		want      int
	}{
		{"healthy", healthy.URL, 0},
		{"answers 503", failing.URL, 1},
		{"nothing listening", closed.URL, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(tt.url, "http://"))
			code := run(context.Background(), []string{"-healthcheck"}, env(map[string]string{"PORT": port}),
				&strings.Builder{})
			if code != tt.want {
				t.Errorf("exit code = %d, want %d", code, tt.want)
			}
		})
	}
}

func TestServeStopsGracefullyWhenCancelled(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuilder{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	catalog, _ := EmbeddedCatalog()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- serve(ctx, listener, NewServer(catalog, testToken, nil, logger), logger, catalog.Len())
	}()
	response, err := http.Get("http://" + listener.Addr().String() + "/health")
	if err != nil || response.StatusCode != 200 {
		t.Fatalf("GET /health = %v, %v", response, err)
	}
	response.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code = %d, want 0; logs: %s", code, logs.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no stopped line in %s", logs.String())
	}
}

// syncBuilder is a strings.Builder the server goroutine and the test can share.
type syncBuilder struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuilder) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuilder) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
