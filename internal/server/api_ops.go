package server

import (
	"context"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"time"
)

//go:embed openapi*.json
var openapiFiles embed.FS

// openapiDoc is openapi.json with the openapi.<area>.json fragments merged
// in (their paths and components), so that product areas document their
// routes in files of their own.
var openapiDoc = mustMergeOpenAPI()

func mustMergeOpenAPI() []byte {
	b, err := mergeOpenAPI(openapiFiles)
	if err != nil {
		panic("server: " + err.Error())
	}
	return b
}

func mergeOpenAPI(fsys fs.FS) ([]byte, error) {
	base, err := fs.ReadFile(fsys, "openapi.json")
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	frags, _ := fs.Glob(fsys, "openapi.*.json")
	sort.Strings(frags)
	for _, f := range frags {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := mergeSection(doc, part, f, "paths"); err != nil {
			return nil, err
		}
		pc, _ := part["components"].(map[string]any)
		dc, _ := doc["components"].(map[string]any)
		for kind, v := range pc {
			items, _ := v.(map[string]any)
			target, _ := dc[kind].(map[string]any)
			if target == nil {
				target = map[string]any{}
				dc[kind] = target
			}
			for name, item := range items {
				if _, dup := target[name]; dup {
					return nil, fmt.Errorf("%s: components.%s.%s defined twice", f, kind, name)
				}
				target[name] = item
			}
		}
		if tags, ok := part["tags"].([]any); ok {
			doc["tags"] = append(asSlice(doc["tags"]), tags...)
		}
	}
	return json.MarshalIndent(doc, "", "  ")
}

func mergeSection(doc, part map[string]any, file, key string) error {
	src, _ := part[key].(map[string]any)
	dst, _ := doc[key].(map[string]any)
	for k, v := range src {
		if _, dup := dst[k]; dup {
			return fmt.Errorf("%s: %s %q defined twice", file, key, k)
		}
		dst[k] = v
	}
	return nil
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.Version})
}

// readyz answers 503 while the database does not, so a load balancer stops
// sending traffic to an instance that cannot serve it.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) {
	s.Metrics.Handler().ServeHTTP(w, r)
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openapiDoc)
}

func hexString(b []byte) string { return hex.EncodeToString(b) }
