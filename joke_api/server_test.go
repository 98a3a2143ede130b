package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testToken = "buteco-test-joke-token"

func newTestServer(t *testing.T) (*httptest.Server, *syncBuilder) {
	t.Helper()
	catalog, err := EmbeddedCatalog()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuilder{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	server := httptest.NewServer(NewServer(catalog, testToken, LockedPicker(rand.New(rand.NewPCG(3, 4))), logger))
	t.Cleanup(server.Close)
	return server, logs
}

func get(t *testing.T, server *httptest.Server, method, path string,
	headers map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	request, err := http.NewRequest(method, server.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range headers {
		request.Header.Set(name, value)
	}
	response, err := server.Client().Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	raw, _ := io.ReadAll(response.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s %s answered non-JSON %q", method, path, raw)
	}
	return response, body
}

var authed = map[string]string{"Authorization": "Bearer " + testToken}

func TestHealthIsPublic(t *testing.T) {
	server, _ := newTestServer(t)
	response, body := get(t, server, "GET", "/health", nil)
	want := map[string]any{"status": "ok", "service": "joke_api", "version": "1.0.0"}
	if response.StatusCode != 200 || len(body) != len(want) {
		t.Fatalf("GET /health = %d %v", response.StatusCode, body)
	}
	for key, value := range want {
		if body[key] != value {
			t.Errorf("health %s = %v, want %v", key, body[key], value)
		}
	}
}

func TestAuth(t *testing.T) {
	server, logs := newTestServer(t)
	tests := []struct {
		name, path, header string
		want               int
	}{
		{"no header", "/joke", "", 401},
		{"wrong token", "/joke", "Bearer not-the-token-at-all", 401},
		{"token prefix", "/joke", "Bearer " + testToken[:10], 401},
		{"wrong scheme", "/categories", "Basic " + testToken, 401},
		{"bare token", "/categories", testToken, 401},
		{"unknown route needs the token too", "/admin", "", 401},
		{"right token", "/joke", "Bearer " + testToken, 200},
		{"scheme is case-insensitive", "/categories", "bearer " + testToken, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			response, body := get(t, server, "GET", tt.path, map[string]string{"Authorization": tt.header})
			if response.StatusCode != tt.want {
				t.Fatalf("status = %d, want %d (%v)", response.StatusCode, tt.want, body)
			}
			if tt.want == 401 && (body["code"] != "unauthorized" || response.Header.Get("WWW-Authenticate") != "Bearer") {
				t.Errorf("401 without the error shape or WWW-Authenticate: %v", body)
			}
		})
	}
	server.Close()
	if strings.Contains(logs.String(), testToken) {
		t.Error("the token reached the logs")
	}
}

func TestJoke(t *testing.T) {
	server, _ := newTestServer(t)
	tests := []struct {
		name, query          string
		status               int
		code, category, lang string
	}{
		{"any", "", 200, "", "", ""},
		{"category", "?category=science", 200, "", "science", ""},
		{"lang", "?lang=pt-BR", 200, "", "", "pt-BR"},
		{"both", "?category=puns&lang=en", 200, "", "puns", "en"},
		{"case-insensitive", "?category=Food&lang=PT-BR", 200, "", "food", "pt-BR"},
		{"empty means any", "?category=&lang=", 200, "", "", ""},
		{"unknown category", "?category=cars", 404, "unknown_category", "", ""},
		{"bad lang", "?lang=es", 422, "invalid_request", "", ""},
		{"bad lang wins over bad category", "?lang=xx&category=cars", 422, "invalid_request", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			response, body := get(t, server, "GET", "/joke"+tt.query, authed)
			if response.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d (%v)", response.StatusCode, tt.status, body)
			}
			if tt.code != "" {
				if body["code"] != tt.code || body["detail"] == "" || body["request_id"] == "" {
					t.Errorf("error body = %v, want code %s with detail and request_id", body, tt.code)
				}
				return
			}
			for _, key := range []string{"id", "text", "category", "lang"} {
				if value, _ := body[key].(string); value == "" {
					t.Errorf("joke has no %s: %v", key, body)
				}
			}
			if (tt.category != "" && body["category"] != tt.category) || (tt.lang != "" && body["lang"] != tt.lang) {
				t.Errorf("joke %v does not match category %q lang %q", body, tt.category, tt.lang)
			}
		})
	}
}

func TestUnknownCategoryListsTheKnownOnes(t *testing.T) {
	server, _ := newTestServer(t)
	_, body := get(t, server, "GET", "/joke?category=cars", authed)
	if detail, _ := body["detail"].(string); !strings.Contains(detail, "programming") {
		t.Errorf("detail %q does not name the known categories", detail)
	}
	if names, _ := body["categories"].([]any); len(names) < 5 {
		t.Errorf("categories = %v", body["categories"])
	}
}

func TestCategories(t *testing.T) {
	server, _ := newTestServer(t)
	catalog, _ := EmbeddedCatalog()
	jokesIn := func(lang string) int {
		n := 0
		for _, joke := range catalog.jokes {
			if lang == "" || joke.Lang == lang {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name, query, lang, label string
		status                   int
	}{
		{"all languages", "", "", "Puns", 200},
		{"portuguese", "?lang=pt-BR", "pt-BR", "Trocadilhos", 200},
		{"english", "?lang=en", "en", "Puns", 200},
		{"bad lang", "?lang=fr", "", "", 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			response, body := get(t, server, "GET", "/categories"+tt.query, authed)
			if response.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d (%v)", response.StatusCode, tt.status, body)
			}
			if tt.status != 200 {
				return
			}
			items, _ := body["items"].([]any)
			total, labels := 0, map[string]string{}
			for _, raw := range items {
				item := raw.(map[string]any)
				total += int(item["count"].(float64))
				labels[item["category"].(string)] = item["label"].(string)
			}
			if len(items) != len(catalog.CategoryNames()) || labels["puns"] != tt.label {
				t.Errorf("items = %v", items)
			}
			if total != jokesIn(tt.lang) {
				t.Errorf("counts sum to %d, want %d", total, jokesIn(tt.lang))
			}
		})
	}
}

func TestRoutesAnswerJSONErrors(t *testing.T) {
	server, _ := newTestServer(t)
	tests := []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/nope", 404, "not_found"},
		{"POST", "/joke", 405, "method_not_allowed"},
		{"DELETE", "/categories", 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		response, body := get(t, server, tt.method, tt.path, authed)
		if response.StatusCode != tt.status || body["code"] != tt.code {
			t.Errorf("%s %s = %d %v, want %d %s", tt.method, tt.path, response.StatusCode, body, tt.status, tt.code)
		}
	}
}

func TestRequestIDIsHonouredOrMade(t *testing.T) {
	server, logs := newTestServer(t)
	response, body := get(t, server, "GET", "/joke?lang=es", map[string]string{
		"Authorization": "Bearer " + testToken, "X-Request-ID": "req-42"})
	if response.Header.Get("X-Request-ID") != "req-42" || body["request_id"] != "req-42" {
		t.Errorf("request id not echoed: header %q body %v", response.Header.Get("X-Request-ID"), body)
	}
	response, _ = get(t, server, "GET", "/health", map[string]string{"X-Request-ID": "bad id\twith tab"})
	if id := response.Header.Get("X-Request-ID"); len(id) != 32 {
		t.Errorf("a malformed request id should be replaced by a fresh one, got %q", id)
	}
	server.Close()
	if !strings.Contains(logs.String(), `"request_id":"req-42"`) || !strings.Contains(logs.String(), `"status":422`) {
		t.Errorf("no access line for req-42 in %s", logs.String())
	}
}
