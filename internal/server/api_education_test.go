package server

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"

	"github.com/google/uuid"
)

const apiEduPark = "International Education Park"

// eduCourse publishes a free course of the education park starting next
// week with the given capacity and answers its id.
func (f *fixture) eduCourse(t *testing.T, title string, capacity int) string {
	t.Helper()
	dean := f.token(t, apiEduPark, identity.OrgAdmin)
	start := time.Now().AddDate(0, 0, 9).Format(time.DateOnly)
	r := f.call(t, "POST", "/api/v1/education/courses", dean, map[string]any{"title": title, "industry": "green_hydrogen", "language": "kk",
		"start_date": start, "end_date": start, "capacity": capacity})
	if r.status != 201 {
		t.Fatalf("course: %d %s", r.status, r.body)
	}
	return r.json(t)["id"].(string)
}

// The forbidden cases first: who publishes, who enrols, whose enrolments,
// certificates and exchange steps are whose; then bad input with its
// field codes.
func TestAPIEducationForbidden(t *testing.T) {
	f := getFixture(t)
	kgeAdmin := f.token(t, apiKGE, identity.OrgAdmin)
	kge := f.token(t, apiKGE, identity.Trader)
	educator := f.token(t, apiEduPark, identity.Educator)
	hostEducator := f.token(t, "Ili Valley University", identity.Educator)
	officer := f.token(t, "Khorgos Customs Post", identity.CustomsOfficer)

	// A company's administrator is no education provider; an educator
	// does not publish (the administrators do).
	course := map[string]any{"title": "X", "industry": "agritech", "language": "en", "start_date": time.Now().AddDate(0, 0, 5).Format(time.DateOnly),
		"end_date": time.Now().AddDate(0, 0, 6).Format(time.DateOnly), "capacity": 5}
	for _, tok := range []string{kgeAdmin, educator, kge} {
		if r := f.call(t, "POST", "/api/v1/education/courses", tok, course); r.status != 403 {
			t.Fatalf("publish by another: %d %s", r.status, r.body)
		}
	}
	// Bad input: dates, capacity, language code, each with its code.
	dean := f.token(t, apiEduPark, identity.OrgAdmin)
	r := f.call(t, "POST", "/api/v1/education/courses", dean, map[string]any{"title": "X", "industry": "agritech", "language": "english",
		"start_date": "2020-01-01", "end_date": "2019-12-01", "capacity": 0})
	if r.status != 400 {
		t.Fatalf("bad course: %d %s", r.status, r.body)
	}
	codes, _ := r.json(t)["error_codes"].(map[string]any)
	for f, code := range map[string]string{"language": "edu_language", "start_date": "slot_in_past", "end_date": "edu_end_before_start", "capacity": "whole_from_to"} {
		if codes[f] != code {
			t.Errorf("%s: code %v, want %s (%s)", f, codes[f], code, r.body)
		}
	}
	if r := f.call(t, "POST", "/api/v1/education/programmes", dean, map[string]any{"titles": map[string]string{"en": "P"}, "languages": []string{"xx"},
		"degree": "master", "duration_months": 12, "partner_ids": []string{uuid.NewString()}}); r.status != 400 || field(t, r, "languages[0]") == "" || field(t, r, "partner_ids[0]") == "" {
		t.Fatalf("bad programme: %d %s", r.status, r.body)
	}
	id := f.eduCourse(t, "Hydrogen electrolyser safety", 1)
	// Only residents enrol.
	for _, tok := range []string{kge, kgeAdmin, educator, officer} {
		if r := f.call(t, "POST", "/api/v1/education/enrolments", tok, map[string]any{"course_id": id, "key": uuid.NewString()}); r.status != 403 {
			t.Fatalf("enrol by a non-resident: %d %s", r.status, r.body)
		}
	}
	_, student := f.newUser(t, "Town Residents", identity.Resident)
	_, other := f.newUser(t, "Town Residents", identity.Resident)
	in := map[string]any{"course_id": id, "key": uuid.NewString()}
	r = student.api(t, "POST", "/api/v1/education/enrolments", in)
	if r.status != 201 {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	eid := r.json(t)["id"].(string)
	if r := student.api(t, "POST", "/api/v1/education/enrolments", in); r.status != 200 || r.json(t)["id"] != eid {
		t.Fatalf("retry: %d %s", r.status, r.body)
	}
	// Full: the other student is refused, then waits.
	r = other.api(t, "POST", "/api/v1/education/enrolments", map[string]any{"course_id": id, "key": uuid.NewString()})
	if r.status != 409 || field(t, r, "course_id") != "full" {
		t.Fatalf("full: %d %s", r.status, r.body)
	}
	if r := other.api(t, "POST", "/api/v1/education/courses/"+id+"/wait", nil); r.status != 201 {
		t.Fatalf("wait: %d %s", r.status, r.body)
	}
	// Another student, another institution's educator: nothing exists.
	if r := other.api(t, "GET", "/api/v1/education/enrolments/"+eid, nil); r.status != 404 {
		t.Fatalf("another student reads: %d", r.status)
	}
	if r := other.api(t, "POST", "/api/v1/education/enrolments/"+eid+"/withdraw", nil); r.status != 404 {
		t.Fatalf("another student withdraws: %d", r.status)
	}
	for _, path := range []string{"/complete", "/certificate"} {
		if r := f.call(t, "POST", "/api/v1/education/enrolments/"+eid+path, hostEducator, nil); r.status != 404 {
			t.Fatalf("%s by another institution: %d %s", path, r.status, r.body)
		}
	}
	if r := f.call(t, "GET", "/api/v1/education/courses/"+id+"/enrolments", hostEducator, nil); r.status != 403 {
		t.Fatalf("another institution's enrolments: %d", r.status)
	}
	// No certificate before completion; then one, verifiable by anyone.
	if r := f.call(t, "POST", "/api/v1/education/enrolments/"+eid+"/certificate", educator, nil); r.status != 409 || field(t, r, "status") == "" {
		t.Fatalf("certificate before completion: %d %s", r.status, r.body)
	}
	if r := f.call(t, "POST", "/api/v1/education/enrolments/"+eid+"/complete", educator, nil); r.status != 200 {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	r = f.call(t, "POST", "/api/v1/education/enrolments/"+eid+"/certificate", educator, nil)
	if r.status != 201 {
		t.Fatalf("certificate: %d %s", r.status, r.body)
	}
	code := r.json(t)["code"].(string)
	r = f.call(t, "GET", "/api/v1/education/certificates/"+url.PathEscape(code), "", nil)
	if r.status != 200 || r.json(t)["course_title"] != "Hydrogen electrolyser safety" || r.json(t)["provider_name"] != apiEduPark {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	if r := f.call(t, "GET", "/api/v1/education/certificates/EDU-AAAA-BBBB-CCCC-DDDD", "", nil); r.status != 404 {
		t.Fatalf("unknown code: %d", r.status)
	}
	if r := other.api(t, "GET", "/api/v1/education/certificates", nil); strings.Contains(string(r.body), code) {
		t.Fatal("another student lists the certificate")
	}

	// Exchanges: the student applies; each institution takes only its own
	// step; others are told nothing exists.
	park, host := f.orgs[apiEduPark].ID, f.orgs["Ili Valley University"].ID
	r = student.api(t, "POST", "/api/v1/education/exchanges", map[string]any{"home_org": park, "host_org": park, "term": "spring"})
	if r.status != 400 || field(t, r, "host_org") == "" || field(t, r, "term") == "" {
		t.Fatalf("bad application: %d %s", r.status, r.body)
	}
	r = student.api(t, "POST", "/api/v1/education/exchanges", map[string]any{"home_org": park, "host_org": host, "term": time.Now().Format("2006") + "-autumn"})
	if r.status != 201 {
		t.Fatalf("apply: %d %s", r.status, r.body)
	}
	xid := r.json(t)["id"].(string)
	decide := func(tok, step string) response {
		return f.call(t, "POST", "/api/v1/education/exchanges/"+xid+"/decision", tok, map[string]any{"step": step, "approve": true})
	}
	if r := decide(hostEducator, "home"); r.status != 403 {
		t.Fatalf("host takes the home step: %d %s", r.status, r.body)
	}
	if r := decide(kge, "home"); r.status != 403 {
		t.Fatalf("a trader decides: %d", r.status)
	}
	if r := other.api(t, "GET", "/api/v1/education/exchanges/"+xid, nil); r.status != 404 {
		t.Fatalf("another student reads: %d", r.status)
	}
	if r := decide(educator, "home"); r.status != 200 || r.json(t)["status"] != "home_approved" {
		t.Fatalf("home approves: %d %s", r.status, r.body)
	}
	if r := decide(educator, "host"); r.status != 403 {
		t.Fatalf("home takes the host step: %d %s", r.status, r.body)
	}
	if r := decide(hostEducator, "host"); r.status != 200 || r.json(t)["status"] != "accepted" {
		t.Fatalf("host accepts: %d %s", r.status, r.body)
	}
}

// The pages: the catalogue for a resident with the demo's courses and
// enrol buttons, a student's courses, the provider's enrolments, the
// exchanges, and the public verification.
func TestPagesEducation(t *testing.T) {
	f := getFixture(t)
	_, student := f.newUser(t, "Town Residents", identity.Resident)
	r := student.get(t, "/education")
	if r.status != 200 || !strings.Contains(string(r.body), "Solar plant maintenance") || !strings.Contains(string(r.body), "Master in Eurasian Logistics and Trade") {
		t.Fatalf("catalogue: %d %s", r.status, excerpt(r.body))
	}
	id := f.eduCourse(t, "Wind turbine blade repair", 3)
	r = student.get(t, "/education")
	key := between(string(r.body), `name="key" value="`, `"`)
	r = student.post(t, "/education/courses/"+id+"/enrol", url.Values{"key": {key}})
	r = student.follow(t, r)
	if r.status != 200 || !strings.Contains(string(r.body), "Wind turbine blade repair") {
		t.Fatalf("my courses: %d %s", r.status, excerpt(r.body))
	}
	dean := f.browser(t, "dean@edupark.kz")
	r = dean.get(t, "/education/courses/"+id+"/enrolments")
	if r.status != 200 || !strings.Contains(string(r.body), "Mark completed") {
		t.Fatalf("enrolments: %d %s", r.status, excerpt(r.body))
	}
	if r := student.get(t, "/education/courses/"+id+"/enrolments"); r.status != 403 {
		t.Fatalf("a student opens the provider's enrolments: %d", r.status)
	}
	r = dean.get(t, "/education/exchanges")
	if r.status != 200 || !strings.Contains(string(r.body), "Aruzhan Kairatova") {
		t.Fatalf("exchanges: %d %s", r.status, excerpt(r.body))
	}
	r = f.call(t, "GET", "/education/verify?code=EDU-AAAA-BBBB-CCCC-DDDD", "", nil)
	if r.status != 404 || !strings.Contains(string(r.body), "verify-unknown") {
		t.Fatalf("verify unknown: %d %s", r.status, excerpt(r.body))
	}
}

func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, to)
	return v
}
