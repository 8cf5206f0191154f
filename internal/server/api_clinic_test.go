package server

import (
	"bricstown/internal/clinic"
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"bricstown/internal/identity"

	"github.com/google/uuid"
)

const medCentre = "BRICS Town Medical Centre"

// api calls the JSON API with the browser's session and CSRF token.
func (b *browser) api(t *testing.T, method, path string, body any) response {
	t.Helper()
	return b.f.call(t, method, path, "", body, "Cookie", b.cookie, "X-CSRF-Token", b.csrf)
}

// newUser creates a user of a demo organisation with the demo password.
func (f *fixture) newUser(t *testing.T, orgName string, rs ...identity.Role) (identity.User, *browser) {
	t.Helper()
	email := fmt.Sprintf("u%s@test.town.kz", uuid.NewString()[:8])
	u, err := f.ids.CreateUser(context.Background(), nil, f.orgs[orgName].ID, identity.NewUser{Email: email, Name: "Test " + email[:9], Password: "bricstown-demo", Roles: rs, Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	return u, f.browser(t, email)
}

// quickDoctor lists a new clinician of the medical centre as a doctor open
// around the clock in ten-minute slots with no notice, so a slot starts
// within minutes and its room is open at once.
func (f *fixture) quickDoctor(t *testing.T) (string, *browser) {
	t.Helper()
	u, b := f.newUser(t, medCentre, identity.Clinician)
	director := f.browser(t, "director@medcentre.town.kz")
	var hours []map[string]any
	for d := range 7 {
		hours = append(hours, map[string]any{"day": d, "from": "00:00", "to": "24:00"})
	}
	r := director.api(t, "POST", "/api/v1/clinic/doctors", map[string]any{"user_id": u.ID, "specialty": "general", "telemedicine": true,
		"hours": hours, "slot_minutes": 10, "horizon_days": 2})
	if r.status != 201 {
		t.Fatalf("add doctor: %d %s", r.status, r.body)
	}
	return r.json(t)["id"].(string), b
}

// nextSlot is the doctor's first open slot at least 30 seconds ahead.
func nextSlot(t *testing.T, b *browser, doctor string) string {
	t.Helper()
	r := b.api(t, "GET", "/api/v1/clinic/doctors/"+doctor+"/availability?days=2", nil)
	var out struct {
		Days []struct {
			Slots []struct {
				Start    time.Time `json:"start"`
				Free     int       `json:"free"`
				Bookable bool      `json:"bookable"`
			} `json:"slots"`
		} `json:"days"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &out) != nil {
		t.Fatalf("availability: %d %s", r.status, r.body)
	}
	for _, d := range out.Days {
		for _, s := range d.Slots {
			if s.Bookable && s.Free > 0 && s.Start.After(time.Now().Add(30*time.Second)) {
				return s.Start.Format(time.RFC3339)
			}
		}
	}
	t.Fatal("no open slot")
	return ""
}

// pastConsultation is the demo resident's consultation of last week with
// the traditional medicine doctor, with its record.
func pastConsultation(t *testing.T, patient *browser) string {
	t.Helper()
	r := patient.api(t, "GET", "/api/v1/clinic/consultations", nil)
	var out struct {
		Items []struct {
			ID    string    `json:"id"`
			Start time.Time `json:"start"`
		} `json:"items"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &out) != nil {
		t.Fatalf("consultations: %d %s", r.status, r.body)
	}
	for _, c := range out.Items {
		if c.Start.Before(time.Now()) {
			return c.ID
		}
	}
	t.Fatalf("no past consultation in the demo: %s", r.body)
	return ""
}

// Medical records: refused to every other role first (another patient,
// another doctor of the same clinic, another clinic's administrator, the
// platform administrator, customs, a bank, a trader, a token of another
// organisation), by the API and by the pages; then the patient, the
// treating doctor and the clinic's administrator read it, and only the
// treating doctor writes it.
func TestClinicRecordsRefusedToEveryoneElse(t *testing.T) {
	f := getFixture(t)
	patient := f.browser(t, "resident@residents.town.kz")
	id := pastConsultation(t, patient)
	_, otherPatient := f.newUser(t, "Town Residents", identity.Resident)
	others := map[string]*browser{
		"another patient":              otherPatient,
		"another doctor of the clinic": f.browser(t, "cardiology@medcentre.town.kz"),
		"another clinic's admin":       f.browser(t, "doctor@clinic.town.kz"),
		"platform admin":               f.browser(t, "admin@town.kz"),
		"customs chief":                f.browser(t, "chief@customs.kz"),
		"bank":                         f.browser(t, "treasury@steppebank.kz"),
		"trader":                       f.browser(t, "trader@kazgrain.kz"),
		"trader and org admin":         f.browser(t, "trader@sibenergy.ru"),
	}
	secret := "Lower back pain"
	for who, b := range others {
		for _, path := range []string{"/api/v1/clinic/consultations/" + id, "/clinic/consultations/" + id, "/api/v1/clinic/consultations/" + id + "/room",
			"/clinic/consultations/" + id + "/room", "/api/v1/clinic/consultations/" + id + "/signals"} {
			r := b.get(t, path)
			if r.status != 404 || strings.Contains(string(r.body), secret) {
				t.Errorf("%s: GET %s: %d %s", who, path, r.status, excerpt(r.body))
			}
		}
		if r := b.api(t, "GET", "/api/v1/clinic/consultations", nil); r.status == 200 && strings.Contains(string(r.body), id) {
			t.Errorf("%s lists the consultation", who)
		}
		if r := b.get(t, "/clinic/records"); strings.Contains(string(r.body), id) {
			t.Errorf("%s's records page shows the consultation", who)
		}
		if r := b.api(t, "POST", "/api/v1/clinic/consultations/"+id+"/cancel", nil); r.status != 404 {
			t.Errorf("%s cancels: %d", who, r.status)
		}
	}
	// Routes refuse roles outside them outright; a foreign token is told
	// the record does not exist.
	officer := f.browser(t, "officer@customs.kz")
	wantIn(t, officer.get(t, "/api/v1/clinic/consultations/"+id), 403)
	wantIn(t, officer.get(t, "/clinic/consultations/"+id), 403)
	if r := f.call(t, "GET", "/api/v1/clinic/consultations/"+id, f.token(t, apiKGE, "trader"), nil); r.status != 404 {
		t.Fatalf("another organisation's token: %d", r.status)
	}
	// Writing: only the treating doctor.
	cardio := others["another doctor of the clinic"]
	director := f.browser(t, "director@medcentre.town.kz")
	tcm := f.browser(t, "tcm@medcentre.town.kz")
	note := map[string]string{"text": "Follow-up by video in two weeks."}
	wantIn(t, cardio.api(t, "POST", "/api/v1/clinic/consultations/"+id+"/notes", note), 404)
	wantIn(t, director.api(t, "POST", "/api/v1/clinic/consultations/"+id+"/notes", note), 403)
	wantIn(t, patient.api(t, "POST", "/api/v1/clinic/consultations/"+id+"/notes", note), 403)
	wantIn(t, cardio.post(t, "/clinic/consultations/"+id+"/notes", url.Values{"text": {"x"}}), 404)
	wantIn(t, tcm.api(t, "POST", "/api/v1/clinic/consultations/"+id+"/prescriptions", map[string]string{"medicine": "Ginger tea"}), 400, `"dose"`)
	wantIn(t, tcm.api(t, "POST", "/api/v1/clinic/consultations/"+id+"/notes", note), 201)
	// Reading: the patient, the treating doctor, the clinic's administrator.
	for who, b := range map[string]*browser{"patient": patient, "doctor": tcm, "clinic admin": director} {
		wantIn(t, b.api(t, "GET", "/api/v1/clinic/consultations/"+id, nil), 200, secret, "Follow-up by video", "Du Huo Ji Sheng Tang")
		r := b.get(t, "/clinic/consultations/"+id)
		wantIn(t, r, 200, secret, "Du Huo Ji Sheng Tang")
		if hasForm := strings.Contains(string(r.body), `id="note-form"`); hasForm != (who == "doctor") {
			t.Errorf("%s: note form shown %v", who, hasForm)
		}
		wantIn(t, b.get(t, "/clinic/records"), 200, "/clinic/consultations/"+id)
	}
	// The room of a past consultation is closed, with a code; the clinic's
	// administrator may read the record but never enter the room.
	r := patient.api(t, "GET", "/api/v1/clinic/consultations/"+id+"/room", nil)
	wantIn(t, r, 409, `"conflict"`, `"room"`)
	wantIn(t, patient.get(t, "/clinic/consultations/"+id+"/room"), 409, `id="room-closed"`)
	wantIn(t, director.api(t, "GET", "/api/v1/clinic/consultations/"+id+"/room", nil), 403)
}

// A consultation booked through the API: never twice; the room opens to
// the patient and the doctor only, and relays signals between them as
// server-sent events.
func TestClinicBookingAndRoomSignals(t *testing.T) {
	f := getFixture(t)
	doctor, docB := f.quickDoctor(t)
	_, patient := f.newUser(t, "Town Residents", identity.Resident)
	resident := f.browser(t, "resident@residents.town.kz")
	director := f.browser(t, "director@medcentre.town.kz")
	cardio := f.browser(t, "cardiology@medcentre.town.kz")
	start := nextSlot(t, patient, doctor)

	// Refusals first.
	wantIn(t, f.browser(t, "officer@customs.kz").api(t, "POST", "/api/v1/clinic/consultations", map[string]string{}), 403)
	wantIn(t, f.browser(t, "trader@sibenergy.ru").api(t, "POST", "/api/v1/clinic/doctors", map[string]string{}), 403)
	wantIn(t, docB.api(t, "POST", "/api/v1/clinic/doctors", map[string]string{}), 403)
	wantIn(t, patient.api(t, "POST", "/api/v1/clinic/consultations", map[string]string{"doctor_id": doctor, "start": start, "mode": "in_person", "key": uuid.NewString()}), 400, `"mode"`)
	wantIn(t, patient.api(t, "POST", "/api/v1/clinic/consultations", map[string]string{"doctor_id": uuid.NewString(), "start": start, "mode": "telemedicine", "key": uuid.NewString()}), 404, `"doctor_id"`)
	wantIn(t, director.api(t, "POST", "/api/v1/clinic/doctors", map[string]any{"user_id": "nobody", "specialty": "general", "telemedicine": true,
		"hours": []map[string]any{{"day": 1, "from": "09:00", "to": "17:00"}}}), 400, `"user_id"`)

	key := uuid.NewString()
	in := map[string]string{"doctor_id": doctor, "start": start, "mode": "telemedicine", "key": key}
	r := patient.api(t, "POST", "/api/v1/clinic/consultations", in)
	wantIn(t, r, 201)
	id := r.json(t)["id"].(string)
	if again := patient.api(t, "POST", "/api/v1/clinic/consultations", in); again.status != 200 || again.json(t)["id"] != id {
		t.Fatalf("retry: %d %s", again.status, again.body)
	}
	in["key"] = uuid.NewString()
	wantIn(t, resident.api(t, "POST", "/api/v1/clinic/consultations", in), 409, `"start"`)

	// The room opens RoomOpensBefore the start. The first bookable slot is
	// at most one slot (10 min) and 30 s away, so it is open unless the test
	// runs in the last 30 s before a slot boundary: then wait those seconds
	// for the clock (a time, not an event, so nothing else could be awaited).
	at, err := time.Parse(time.RFC3339, start)
	if err != nil {
		t.Fatal(err)
	}
	if wait := time.Until(at.Add(-clinic.RoomOpensBefore)); wait > 0 {
		time.Sleep(wait + 100*time.Millisecond)
	}

	// The room: the two participants, nobody else.
	wantIn(t, director.api(t, "GET", "/api/v1/clinic/consultations/"+id+"/room", nil), 403)
	wantIn(t, cardio.api(t, "GET", "/api/v1/clinic/consultations/"+id+"/room", nil), 404)
	wantIn(t, resident.api(t, "GET", "/api/v1/clinic/consultations/"+id+"/room", nil), 404)
	wantIn(t, resident.api(t, "POST", "/api/v1/clinic/consultations/"+id+"/signals", map[string]string{"kind": "hello", "data": "{}"}), 404)
	wantIn(t, patient.api(t, "GET", "/api/v1/clinic/consultations/"+id+"/room", nil), 200, `"me":"patient"`)
	wantIn(t, docB.api(t, "GET", "/api/v1/clinic/consultations/"+id+"/room", nil), 200, `"me":"doctor"`)
	wantIn(t, patient.get(t, "/clinic/consultations/"+id+"/room"), 200, `id="remote-video"`, `data-role="patient"`, `/static/room.js`)
	wantIn(t, patient.api(t, "POST", "/api/v1/clinic/consultations/"+id+"/signals", map[string]string{"kind": "shout"}), 400, `"kind"`)

	// The doctor's stream receives what the patient sends, live.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", f.ts.URL+"/api/v1/clinic/consultations/"+id+"/signals", nil)
	req.Header.Set("Cookie", docB.cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	wantIn(t, patient.api(t, "POST", "/api/v1/clinic/consultations/"+id+"/signals", map[string]string{"kind": "offer", "data": `{"sdp":"v=0"}`}), 201)
	sc := bufio.NewScanner(resp.Body)
	got := ""
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			got = line
			break
		}
	}
	if !strings.Contains(got, `"kind":"offer"`) || !strings.Contains(got, `v=0`) {
		t.Fatalf("the doctor's stream got %q (%v)", got, sc.Err())
	}
	// The doctor's day lists it with the room link.
	wantIn(t, docB.get(t, "/clinic/day?date="+time.Now().In(almaty(t)).Format(time.DateOnly)), 200)
}

func almaty(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Almaty")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// The pages: a resident books a video consultation from the doctor's page
// (the engine's availability), sees it among its consultations; roles
// outside the clinic are refused.
func TestClinicPages(t *testing.T) {
	f := getFixture(t)
	wantIn(t, f.browser(t, "officer@customs.kz").get(t, "/clinic"), 403)
	wantIn(t, f.browser(t, "tcm@medcentre.town.kz").get(t, "/clinic/day"), 200, "Doctor&#39;s day")
	// Homes: the doctor's consultations today, the patient's to come.
	wantIn(t, f.browser(t, "tcm@medcentre.town.kz").get(t, "/"), 200, `id="h-clinic"`, `id="h-clinic-today"`, `href="/clinic/day"`)
	wantIn(t, f.browser(t, "resident@residents.town.kz").get(t, "/"), 200, `id="h-clinic-upcoming"`, `href="/clinic"`)
	doctor, _ := f.quickDoctor(t)
	_, patient := f.newUser(t, "Town Residents", identity.Resident)
	r := patient.get(t, "/clinic")
	wantIn(t, r, 200, "Dr. Aliya Bekova", "Cardiology", "Zharkent hot springs day", `id="no-consultations"`)
	r = patient.get(t, "/clinic/doctors/"+doctor)
	wantIn(t, r, 200, `id="book-form"`, `value="telemedicine"`)
	key := regexp.MustCompile(`name="key" value="([0-9a-f-]{36})"`).FindStringSubmatch(string(r.body))
	starts := regexp.MustCompile(`name="start" value="([^"]+)">`).FindAllStringSubmatch(string(r.body), -1)
	if key == nil || len(starts) < 2 {
		t.Fatalf("no open slot or key: %s", excerpt(r.body))
	}
	wantIn(t, patient.post(t, "/clinic/doctors/"+doctor+"/book", url.Values{"key": {key[1]}, "mode": {"telemedicine"}}), 400, `id="book-error"`)
	done := patient.post(t, "/clinic/doctors/"+doctor+"/book", url.Values{"key": {key[1]}, "mode": {"telemedicine"}, "start": {starts[1][1]}})
	r = patient.followDone(t, done)
	wantIn(t, r, 200, "Your consultation is booked", "Video consultation")
	if !strings.Contains(string(r.body), `class="room-link"`) && !strings.Contains(string(r.body), "The video room opens at") {
		t.Fatalf("no room shown: %s", excerpt(r.body))
	}
}
