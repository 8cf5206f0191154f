package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/problem"
)

// statusOf is the HTTP status of an error code (problem.Code.HTTPStatus).
func statusOf(code problem.Code) int { return code.HTTPStatus() }

// Problem is the RFC 9457 problem+json body.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Code      problem.Code      `json:"code"`
	Detail    string            `json:"detail,omitempty"`
	Instance  string            `json:"instance,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    map[string]string `json:"errors,omitempty"`
	// ErrorCodes gives the known field messages a machine code (see
	// problem.FieldCode), so a client can say them in its own language.
	ErrorCodes map[string]string `json:"error_codes,omitempty"`
}

// ProblemTypeBase prefixes the type URI of every problem; the documentation
// lists each code under it.
const ProblemTypeBase = "https://bricstown.kz/problems/"

// classifierKey holds, in a request's context, the storage's Classify (see
// Server.wrap): it gives a code to a driver error that reached a handler
// unclassified, such as a read that found the database down.
type classifierKey struct{}

// Classifier is what Deps.DB may also implement (sqlstore.DB does) so that
// database outages answer unavailable instead of internal.
type Classifier interface {
	Classify(err error) error
}

func writeProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if classify, ok := r.Context().Value(classifierKey{}).(func(error) error); ok && problem.CodeOf(err) == problem.Internal {
		err = classify(err)
	}
	code := problem.CodeOf(err)
	status := statusOf(code)
	p := Problem{Type: ProblemTypeBase + string(code), Title: http.StatusText(status), Status: status, Code: code,
		Instance: r.URL.Path, RequestID: requestID(r.Context())}
	var pe *problem.Error
	if errors.As(err, &pe) && code != problem.Internal {
		p.Detail = pe.Message
		p.Errors = pe.Fields
		p.ErrorCodes = problem.FieldCodesOf(pe)
	}
	switch {
	case code == problem.Unavailable || code == problem.OutcomeUnknown:
		// The message says what to do (retry, with the same ids); the
		// cause stays in the log, as a warning: an outage makes thousands.
		log.WarnContext(r.Context(), "request not served", "code", code, "err", err, "path", r.URL.Path, "request_id", p.RequestID)
	case status >= 500:
		p.Detail = "an unexpected error occurred; quote the request id when reporting it"
		log.ErrorContext(r.Context(), "request failed", "err", err, "path", r.URL.Path, "request_id", p.RequestID)
	}
	if code == problem.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="bricstown"`)
	}
	if secs, ok := identity.RetryAfter(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	} else if pe != nil && pe.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(pe.RetryAfter.Seconds())))))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// decodeJSON reads exactly one JSON object into dst. Unknown fields,
// trailing data, wrong types and bodies over the route's limit are refused
// with field-level messages, before any handler logic runs, so that a bad
// request can never write anything.
func decodeJSON(r *http.Request, dst any) error { return decodeBody(r, dst, false) }

// decodeOptionalJSON is decodeJSON for actions whose body is optional (a
// note): an empty body leaves dst as it is.
func decodeOptionalJSON(r *http.Request, dst any) error { return decodeBody(r, dst, true) }

func decodeBody(r *http.Request, dst any, optional bool) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(ct, "application/json") {
		return problem.New(problem.Malformed, "Content-Type must be application/json")
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return jsonProblem(err)
	}
	if optional && len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if errors.As(err, new(*time.ParseError)) {
			// encoding/json does not say which field held the time: find it.
			return &problem.Error{Code: problem.Invalid, Message: "a time is malformed",
				Fields: map[string]string{badTimeField(b, reflect.TypeOf(dst)): "must be an RFC 3339 time such as 2026-03-02T09:00:00Z"}}
		}
		return embeddedFields(jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.New(problem.Malformed, "the body must hold a single JSON object")
	}
	return nil
}

// readCSV reads a text/csv body (bulk imports: reference rates, invoices),
// refusing another content type and a body over the route's limit.
func readCSV(r *http.Request) ([]byte, error) {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "text/csv") && !strings.HasPrefix(ct, "application/csv") {
		return nil, problem.New(problem.Malformed, "Content-Type must be text/csv")
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, problem.New(problem.TooLarge, "the file is larger than %d bytes", tooBig.Limit)
		}
		return nil, problem.New(problem.Malformed, "the body cannot be read")
	}
	return b, nil
}

// badTimeField finds the JSON path of the first time.Time field of t whose
// value in body does not parse as RFC 3339 ("(body)" if none is found).
func badTimeField(body []byte, t reflect.Type) string {
	var doc any
	if json.Unmarshal(body, &doc) != nil {
		return "(body)"
	}
	if path := findBadTime(doc, t, ""); path != "" {
		return path
	}
	return "(body)"
}

var timeType = reflect.TypeOf(time.Time{})

func findBadTime(v any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		if s, ok := v.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				return path
			}
		}
	case t.Kind() == reflect.Slice:
		if arr, ok := v.([]any); ok {
			for i, x := range arr {
				if p := findBadTime(x, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" {
					return p
				}
			}
		}
	case t.Kind() == reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" {
				if p := findBadTime(v, f.Type, path); p != "" {
					return p
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			if name == "-" || !f.IsExported() {
				continue
			}
			x, ok := obj[name]
			if !ok {
				continue
			}
			sub := name
			if path != "" {
				sub = path + "." + name
			}
			if p := findBadTime(x, f.Type, sub); p != "" {
				return p
			}
		}
	}
	return ""
}

// embeddedFields names fields of embedded structs (customs.Content) by their
// JSON path alone ("goods_items.tariff_quantity", not "Content.goods_items…").
func embeddedFields(err error) error {
	var pe *problem.Error
	if errors.As(err, &pe) {
		for k, v := range pe.Fields {
			if rest, ok := strings.CutPrefix(k, "Content."); ok {
				delete(pe.Fields, k)
				pe.Fields[rest] = v
			}
		}
	}
	return err
}

func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return problem.New(problem.TooLarge, "the body is larger than %d bytes", tooBig.Limit)
	case errors.As(err, &syn):
		return problem.New(problem.Malformed, "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return &problem.Error{Code: problem.Invalid, Message: "a field has the wrong type",
			Fields: map[string]string{field: fmt.Sprintf("must be %s, not %s", jsonTypeName(typ.Type.String()), typ.Value)}}
	case errors.Is(err, io.EOF):
		return problem.New(problem.Malformed, "the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem.New(problem.Malformed, "the JSON ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &problem.Error{Code: problem.Invalid, Message: "the body has an unknown field",
			Fields: map[string]string{name: "unknown field"}}
	}
	return problem.Wrap(problem.Malformed, err, "malformed JSON")
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case goType == "string" || strings.HasSuffix(goType, "Role") || strings.HasSuffix(goType, "Kind"):
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

// Paging limits for every listing.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// pageParams reads ?limit= and ?cursor=. A limit over the maximum is an
// error rather than silently capped, so clients learn the rule.
func pageParams(r *http.Request) (limit int, cursor string, err error) {
	limit = DefaultPageSize
	if s := r.URL.Query().Get("limit"); s != "" {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 || n > MaxPageSize {
			return 0, "", &problem.Error{Code: problem.Invalid, Message: "bad page size",
				Fields: map[string]string{"limit": fmt.Sprintf("must be an integer from 1 to %d", MaxPageSize)}}
		}
		limit = n
	}
	cursor = r.URL.Query().Get("cursor")
	if len(cursor) > 200 {
		return 0, "", &problem.Error{Code: problem.Invalid, Message: "bad cursor", Fields: map[string]string{"cursor": "too long"}}
	}
	return limit, cursor, nil
}

// PageOf is the envelope of every listing: items plus the cursor for the
// next page ("" on the last page).
type PageOf[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// pageOf builds the envelope from limit+1 fetched rows: fetching one more
// than asked tells whether a next page exists without a COUNT.
func pageOf[T any](items []T, limit int, key func(T) string) PageOf[T] {
	p := PageOf[T]{Items: items}
	if p.Items == nil {
		p.Items = []T{}
	}
	if len(items) > limit {
		p.Items = items[:limit]
		p.NextCursor = key(items[limit-1])
	}
	return p
}
