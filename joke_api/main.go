// Command joke_api serves clean jokes in Brazilian Portuguese and English to the Buteco bot.
//
// It reads PORT (default 5000), HOST (default all interfaces), JOKE_API_TOKEN (required: the joke plugin's own
// credential, which the bot presents because plugins/joke.toml names it as its token_env) and
// LOG_LEVEL (debug, info, warn, error). With -healthcheck it GETs its own /health and exits 0 or 1,
// which is how a distroless container, without a shell or curl, runs its HEALTHCHECK.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// minTokenLen matches the Python services' rule for every *_API_TOKEN credential.
const minTokenLen = 16

// shutdownGrace is how long in-flight requests get to finish after SIGTERM.
const shutdownGrace = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr))
}

// run is main without the process: it returns the exit code, so tests can drive start-up and shutdown.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	flags := flag.NewFlagSet("joke_api", flag.ContinueOnError)
	flags.SetOutput(stderr)
	healthcheck := flags.Bool("healthcheck", false, "GET this server's /health on PORT and exit 0 if it is ok, else 1")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	port := getenv("PORT")
	if port == "" {
		port = "5000"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		fmt.Fprintf(stderr, "joke_api cannot start; set PORT: must be a TCP port number, got %q\n", port)
		return 2
	}
	if *healthcheck {
		return checkHealth(net.JoinHostPort("127.0.0.1", port), stderr)
	}
	token := getenv("JOKE_API_TOKEN")
	if len(token) < minTokenLen {
		fmt.Fprintf(stderr, "joke_api cannot start; set JOKE_API_TOKEN: required, at least %d characters\n",
			minTokenLen)
		return 2
	}
	level, err := parseLevel(getenv("LOG_LEVEL"))
	if err != nil {
		fmt.Fprintf(stderr, "joke_api cannot start; set LOG_LEVEL: %v\n", err)
		return 2
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})).With("service", "joke_api")
	catalog, err := EmbeddedCatalog()
	if err != nil {
		logger.Error("embedded jokes are invalid", "error", err)
		return 1
	}
	listener, err := net.Listen("tcp", net.JoinHostPort(getenv("HOST"), port))
	if err != nil {
		logger.Error("cannot listen", "error", err)
		return 1
	}
	return serve(ctx, listener, NewServer(catalog, token, rand.IntN, logger), logger, catalog.Len())
}

// parseLevel reads LOG_LEVEL as the Python services do: empty is INFO, and WARNING is a synonym of WARN.
func parseLevel(value string) (slog.Level, error) {
	var level slog.Level
	if value == "" {
		return slog.LevelInfo, nil
	}
	err := level.UnmarshalText([]byte(strings.Replace(strings.ToUpper(value), "WARNING", "WARN", 1)))
	return level, err
}

// serve answers until ctx is cancelled (SIGTERM, SIGINT), then lets in-flight requests finish.
func serve(ctx context.Context, listener net.Listener, handler http.Handler, logger *slog.Logger, jokes int) int {
	server := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	failed := make(chan error, 1)
	go func() { failed <- server.Serve(listener) }()
	logger.Info("joke_api started", "version", Version, "addr", listener.Addr().String(), "jokes", jokes)
	select {
	case err := <-failed:
		logger.Error("server stopped", "error", err)
		return 1
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := server.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown did not finish", "error", err)
		return 1
	}
	if err := <-failed; !errors.Is(err, http.ErrServerClosed) {
		logger.Error("server stopped", "error", err)
		return 1
	}
	logger.Info("stopped")
	return 0
}

// checkHealth is the container's HEALTHCHECK: 0 when /health answers 200 within two seconds, else 1.
func checkHealth(addr string, stderr io.Writer) int {
	client := &http.Client{Timeout: 2 * time.Second}
	response, err := client.Get("http://" + addr + "/health")
	if err != nil {
		fmt.Fprintf(stderr, "unhealthy: %v\n", err)
		return 1
	}
	defer response.Body.Close()
	if response.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "unhealthy: /health answered %d\n", response.StatusCode)
		return 1
	}
	return 0
}
