// Command time-server-go is a tiny HTTP server that reports the current time.
//
// Endpoints:
//
//	GET /time     -> {"time":"<RFC3339>","unix":<seconds>,"request_id":"<uuid>"}
//	GET /healthz  -> ok
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"
)

// Set at build time with:
//
//	-ldflags "-X main.version=1.2.3 -X main.commit=abc123 -X main.date=2025-01-01T00:00:00Z"
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

const name = "time-server-go"

// timeResponse is the JSON body returned by GET /time.
type timeResponse struct {
	Time      string `json:"time"`
	Unix      int64  `json:"unix"`
	RequestID string `json:"request_id"`
}

func versionString() string {
	return fmt.Sprintf("%s %s (commit %s, built %s)", name, version, commit, date)
}

// newRouter builds the HTTP handler. now is injectable for tests.
func newRouter(now func() time.Time) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer)
	r.Use(requestID)

	r.Get("/time", func(w http.ResponseWriter, req *http.Request) {
		t := now().UTC()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(timeResponse{
			Time:      t.Format(time.RFC3339),
			Unix:      t.Unix(),
			RequestID: w.Header().Get("X-Request-Id"),
		})
	})
	r.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return r
}

// requestID propagates an incoming X-Request-Id header or assigns a new UUID.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if _, err := uuid.Parse(id); err != nil {
			id = uuid.NewString()
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r)
	})
}

func main() {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	showVersion := fs.Bool("version", false, "print version information and exit")
	addr := fs.String("addr", ":8080", "address to listen on")
	_ = fs.Parse(os.Args[1:])

	if *showVersion {
		fmt.Println(versionString())
		return
	}

	srv := &http.Server{
		Addr:              *addr,
		Handler:           newRouter(time.Now),
		ReadHeaderTimeout: 5 * time.Second,
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()

	log.Printf("%s listening on %s", versionString(), *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
