package customs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"

	"bricstown/internal/problem"
)

// MaxContentBytes bounds an encoded declaration. 999 fully described goods
// items fit in about half of it.
const MaxContentBytes = 1 << 20

// DecodeContent reads a declaration's content from JSON strictly: unknown
// fields, trailing data, wrong types and oversized input are refused with
// the offending field named, so that a typo in a field name is an error
// rather than a silently empty value. It does not validate; see
// Rules.Validate.
func DecodeContent(data []byte) (Content, error) {
	var c Content
	if len(data) > MaxContentBytes {
		return c, problem.New(problem.TooLarge, "the declaration is larger than %d bytes", MaxContentBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Content{}, decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Content{}, problem.New(problem.Malformed, "unexpected data after the declaration")
	}
	return c, nil
}

func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return &problem.Error{Code: problem.Malformed, Message: "the declaration has a value of the wrong type",
			Fields: map[string]string{field: "must be " + jsonKind(te.Type.Kind().String())}, Err: err}
	case errors.As(err, &se):
		return problem.Wrap(problem.Malformed, err, "the declaration is not valid JSON (at byte %d)", se.Offset)
	case errors.As(err, new(*time.ParseError)):
		return &problem.Error{Code: problem.Malformed, Message: "the declaration has a malformed time",
			Fields: map[string]string{"arrival_expected_at": "must be an RFC 3339 time such as 2026-03-02T09:00:00Z"}, Err: err}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return problem.Wrap(problem.Malformed, err, "the declaration is empty or cut short")
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		name := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return &problem.Error{Code: problem.Malformed, Message: "the declaration has an unknown field",
			Fields: map[string]string{name: "unknown field"}, Err: err}
	}
	return problem.Wrap(problem.Malformed, err, "the declaration cannot be read")
}

func jsonKind(k string) string {
	switch k {
	case "int", "int64", "int32":
		return "a whole number"
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a " + k
}
