package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestTime(t *testing.T) {
	fixed := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	h := newRouter(func() time.Time { return fixed })

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/time", nil))

	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	var body timeResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if body.Time != "2025-01-02T03:04:05Z" {
		t.Errorf("time = %q", body.Time)
	}
	if body.Unix != fixed.Unix() {
		t.Errorf("unix = %d", body.Unix)
	}
	if _, err := uuid.Parse(body.RequestID); err != nil {
		t.Errorf("request_id %q is not a UUID: %v", body.RequestID, err)
	}
	if got := rec.Header().Get("X-Request-Id"); got != body.RequestID {
		t.Errorf("X-Request-Id header %q != body %q", got, body.RequestID)
	}
}

func TestRequestIDPropagated(t *testing.T) {
	h := newRouter(time.Now)
	id := uuid.NewString()
	req := httptest.NewRequest(http.MethodGet, "/time", nil)
	req.Header.Set("X-Request-Id", id)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get("X-Request-Id"); got != id {
		t.Errorf("X-Request-Id = %q, want %q", got, id)
	}
}

func TestHealthz(t *testing.T) {
	rec := httptest.NewRecorder()
	newRouter(time.Now).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "ok" {
		t.Fatalf("got %d %q", rec.Code, rec.Body.String())
	}
}

func TestVersionString(t *testing.T) {
	want := "time-server-go dev (commit none, built unknown)"
	if got := versionString(); got != want {
		t.Errorf("versionString() = %q, want %q", got, want)
	}
}
