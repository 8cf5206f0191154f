package ui

import (
	"bytes"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"bricstown/internal/problem"
)

func TestCSVUpload(t *testing.T) {
	form := func(file, text string, withFile bool) (string, *bytes.Buffer) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		if withFile {
			fw, _ := mw.CreateFormFile("file", "rates.csv")
			fw.Write([]byte(file))
		}
		mw.WriteField("csv_text", text)
		mw.Close()
		return mw.FormDataContentType(), &b
	}
	post := func(ct string, body *bytes.Buffer) ([]byte, string, error) {
		r := httptest.NewRequest("POST", "/x", body)
		r.Header.Set("Content-Type", ct)
		return csvUpload(r, 64)
	}
	// A chosen file wins over pasted text; the text comes back for the form.
	ct, body := form("a,b\n1,2\n", "pasted", true)
	if csv, text, err := post(ct, body); err != nil || string(csv) != "a,b\n1,2\n" || text != "pasted" {
		t.Fatalf("file: %q %q %v", csv, text, err)
	}
	// No file chosen (an empty file part): the pasted text is the CSV.
	ct, body = form("", "x,y\n", true)
	if csv, _, err := post(ct, body); err != nil || string(csv) != "x,y\n" {
		t.Fatalf("empty file: %q %v", csv, err)
	}
	// A plain form with pasted text.
	if csv, _, err := post("application/x-www-form-urlencoded", bytes.NewBufferString(url.Values{"csv_text": {"p,q\n"}}.Encode())); err != nil || string(csv) != "p,q\n" {
		t.Fatalf("urlencoded: %q %v", csv, err)
	}
	// A file over the limit is refused as too large, not cut short.
	ct, body = form(strings.Repeat("1,2\n", 40), "", true)
	if _, _, err := post(ct, body); !problem.Is(err, problem.TooLarge) {
		t.Fatalf("large file: %v", err)
	}
}
