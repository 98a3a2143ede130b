package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Version is what GET /health reports.
const Version = "1.0.0"

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,100}$`)

type requestIDKey struct{}

// Server answers joke_api's routes: GET /health is public, the rest need JOKE_API_TOKEN as a bearer token.
type Server struct {
	catalog *Catalog
	token   []byte
	pick    Picker
	logger  *slog.Logger
	mux     *http.ServeMux
}

// NewServer wires the routes over a catalog; pick chooses the random joke, so tests can seed it.
func NewServer(catalog *Catalog, token string, pick Picker, logger *slog.Logger) *Server {
	s := &Server{catalog: catalog, token: []byte(token), pick: pick, logger: logger, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /health", s.health)
	s.mux.HandleFunc("GET /joke", s.joke)
	s.mux.HandleFunc("GET /categories", s.categories)
	for _, path := range []string{"/health", "/joke", "/categories"} {
		s.mux.HandleFunc(path, methodNotAllowed)
	}
	s.mux.HandleFunc("/", notFound)
	return s
}

// ServeHTTP stamps the request id (the caller's X-Request-ID or a new one), checks the token and logs one line.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	id := r.Header.Get("X-Request-ID")
	if !requestIDPattern.MatchString(id) {
		id = newRequestID()
	}
	w.Header().Set("X-Request-ID", id)
	r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
	recorder := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	if r.URL.Path != "/health" && !s.authorized(r) {
		recorder.Header().Set("WWW-Authenticate", "Bearer")
		writeError(recorder, r, http.StatusUnauthorized, "unauthorized", "missing or invalid API token", nil)
	} else {
		s.mux.ServeHTTP(recorder, r)
	}
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("request_id", id),
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", recorder.status),
		slog.Float64("duration_ms", float64(time.Since(started).Microseconds())/1000))
}

func (s *Server) authorized(r *http.Request) bool {
	scheme, presented, found := strings.Cut(r.Header.Get("Authorization"), " ")
	return found && strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(presented), s.token) == 1
}

func (s *Server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "service": "joke_api", "version": Version})
}

func (s *Server) joke(w http.ResponseWriter, r *http.Request) {
	lang, ok := ParseLang(r.URL.Query().Get("lang"))
	if !ok {
		writeError(w, r, http.StatusUnprocessableEntity, "invalid_request", "lang: must be pt-BR or en", nil)
		return
	}
	category := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("category")))
	if category != "" && !s.catalog.HasCategory(category) {
		names := s.catalog.CategoryNames()
		detail := fmt.Sprintf("unknown category %q; known: %s", category, strings.Join(names, ", "))
		writeError(w, r, http.StatusNotFound, "unknown_category", detail, map[string]any{"categories": names})
		return
	}
	joke, found := s.catalog.Random(category, lang, s.pick)
	if !found {
		writeError(w, r, http.StatusNotFound, "no_jokes", "no joke matches that category and lang", nil)
		return
	}
	writeJSON(w, http.StatusOK, joke)
}

func (s *Server) categories(w http.ResponseWriter, r *http.Request) {
	lang, ok := ParseLang(r.URL.Query().Get("lang"))
	if !ok {
		writeError(w, r, http.StatusUnprocessableEntity, "invalid_request", "lang: must be pt-BR or en", nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": s.catalog.Counts(lang)})
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "GET, HEAD")
	writeError(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "only GET is allowed here", nil)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusNotFound, "not_found", "no such route", nil)
}

// writeError answers the one error shape every Buteco service uses: detail, code, request_id (and extras).
func writeError(w http.ResponseWriter, r *http.Request, status int, code, detail string, extra map[string]any) {
	body := map[string]any{"detail": detail, "code": code, "request_id": r.Context().Value(requestIDKey{})}
	for key, value := range extra {
		body[key] = value
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	encoder := json.NewEncoder(w)
	encoder.SetEscapeHTML(false)
	_ = encoder.Encode(body)
}

func newRequestID() string {
	buf := make([]byte, 16)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}

// statusRecorder remembers the status written, for the access log line.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(status int) {
	s.status = status
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
