package ui

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	"bricstown/internal/problem"
)

// csvUpload reads a CSV form: an uploaded file (field "file") or, when no
// file was chosen, the pasted text (field "csv_text"). It returns the CSV
// and the pasted text, which the form shows again after an error. Errors
// are problem errors for the form to show: a file over max bytes, or a
// form that cannot be read.
func csvUpload(r *http.Request, max int64) (csv []byte, text string, err error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(max); err != nil {
			return nil, "", problem.New(problem.TooLarge, "the file is too large")
		}
		if f, _, ferr := r.FormFile("file"); ferr == nil {
			csv, err = io.ReadAll(io.LimitReader(f, max+1))
			f.Close()
			if err != nil {
				return nil, "", problem.New(problem.Malformed, "the file cannot be read")
			}
			if int64(len(csv)) > max {
				return nil, "", problem.New(problem.TooLarge, "the file is too large")
			}
		}
	} else if err := r.ParseForm(); err != nil {
		return nil, "", problem.New(problem.Malformed, "the form cannot be read")
	}
	text = r.PostFormValue("csv_text")
	if len(bytes.TrimSpace(csv)) == 0 {
		csv = []byte(text)
	}
	return csv, text, nil
}
