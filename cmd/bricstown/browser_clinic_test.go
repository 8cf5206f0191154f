package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bricstown/internal/booking"
	"bricstown/internal/browsertest"
	"bricstown/internal/clinic"
	"bricstown/internal/identity"
	"bricstown/internal/platform"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
)

// TestBrowserClinic drives the medical zone in Chromium: a resident books
// a telemedicine slot through the pages; then the patient and the doctor,
// each in their own headless Chromium with fake camera and microphone,
// join the consultation room and each sees the other's video playing over
// a WebRTC connection signalled through the platform; a third user is
// refused the room.
func TestBrowserClinic(t *testing.T) {
	if _, ok := browsertest.Available(); !ok {
		browsertest.New(t) // skips (or fails under CI) with the reason
	}
	dsn := filepath.Join(t.TempDir(), "clinic.db")
	srv := startServer(t, dsn, "--demo")

	signIn := func(t *testing.T, ctx context.Context, email string) {
		t.Helper()
		if err := chromedp.Do(ctx,
			chromedp.Navigate(srv.url+"/login?lang=en"),
			chromedp.WaitVisible(chromedp.CSS(`#email`)),
			chromedp.SendKeys(chromedp.CSS(`#email`), email),
			chromedp.SendKeys(chromedp.CSS(`#password`), "bricstown-demo"),
			chromedp.Click(chromedp.CSS(`#login`)),
			chromedp.WaitVisible(chromedp.CSS(`#home-title`)),
		); err != nil {
			browsertest.Screenshot(ctx, t, "sign in "+email)
			t.Fatalf("sign in %s: %v", email, err)
		}
	}

	t.Run("book a telemedicine slot through the pages", func(t *testing.T) {
		ctx := browsertest.New(t)
		signIn(t, ctx, "resident@residents.town.kz")
		err := chromedp.Do(ctx,
			chromedp.Navigate(srv.url+"/clinic"),
			chromedp.WaitVisible(chromedp.CSS(`#doctors`)),
			chromedp.Click(chromedp.Search(`//table[@id="doctors"]//a[contains(., "Aliya Bekova")]`)),
			chromedp.WaitVisible(chromedp.CSS(`#book-form`)),
			chromedp.Click(chromedp.CSS(`#mode-tele`)),
			chromedp.Click(chromedp.CSS(`#book-form input[name="start"]:not([disabled])`)),
			chromedp.Click(chromedp.CSS(`#book-submit`)),
			chromedp.WaitVisible(chromedp.CSS(`#my-consultations`)),
		)
		if err != nil {
			browsertest.Screenshot(ctx, t, "book")
			t.Fatal(err)
		}
		body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(body, "Your consultation is booked") || !strings.Contains(body, "Dr. Aliya Bekova") || !strings.Contains(body, "Video consultation") {
			t.Fatalf("after booking: %s", body)
		}
		// Two consultations now, the demo's and this one, each saying when
		// its room opens.
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#my-consultations .room-opens, #my-consultations a.room-link').length`))
		if err != nil || n < 2 {
			t.Fatalf("rooms shown %d %v", n, err)
		}
	})

	t.Run("video call between patient and doctor", func(t *testing.T) {
		id, doctorEmail := clinicCallSetup(t, dsn)
		media := []browsertest.Option{browsertest.WithFlag("use-fake-ui-for-media-stream", true), browsertest.WithFlag("use-fake-device-for-media-stream", true),
			browsertest.WithTimeout(2 * time.Minute)}
		patient := browsertest.New(t, media...)
		doctor := browsertest.New(t, media...)
		signIn(t, patient, "resident@residents.town.kz")
		signIn(t, doctor, doctorEmail)
		room := srv.url + "/clinic/consultations/" + id + "/room"
		for name, ctx := range map[string]context.Context{"patient": patient, "doctor": doctor} {
			if err := chromedp.Do(ctx, chromedp.Navigate(room), chromedp.WaitVisible(chromedp.CSS(`#local-video`))); err != nil {
				browsertest.Screenshot(ctx, t, name+" room")
				t.Fatalf("%s enters the room: %v", name, err)
			}
		}
		// Each side: connected, the other's video playing (frames with a
		// size, time advancing).
		const playing = `(() => {
  const v = document.getElementById('remote-video'), pc = window.roomPeer;
  if (!pc || pc.connectionState !== 'connected' || !(v.videoWidth > 0)) return false;
  if (window.__t0 === undefined) { window.__t0 = v.currentTime; return false; }
  return v.currentTime > window.__t0 + 0.3 ? {w: v.videoWidth, h: v.videoHeight, state: pc.connectionState, status: document.getElementById('call-status').dataset.state} : false;
})()`
		type seen struct {
			W, H   int
			State  string
			Status string
		}
		for name, ctx := range map[string]context.Context{"patient": patient, "doctor": doctor} {
			got, err := chromedp.Run(ctx, chromedp.Poll[seen](playing, chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)))
			if err != nil {
				browsertest.Screenshot(ctx, t, name+" call")
				st, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(window.roomPeer ? window.roomPeer.connectionState : 'no peer') + ' / ' + document.getElementById('call-status').textContent`))
				t.Fatalf("%s never saw the other's video: %v (%s)", name, err, st)
			}
			if got.W == 0 || got.State != "connected" || got.Status != "connected" {
				t.Fatalf("%s: %+v", name, got)
			}
		}
		// A third user (another doctor of the same clinic) is refused.
		third := browsertest.New(t)
		signIn(t, third, "cardiology@medcentre.town.kz")
		if err := chromedp.Do(third, chromedp.Navigate(room), chromedp.WaitVisible(chromedp.CSS(`h1`))); err != nil {
			t.Fatal(err)
		}
		has, err := chromedp.Run(third, chromedp.Evaluate[bool](`!!document.getElementById('room') || !!document.getElementById('remote-video')`))
		if err != nil || has {
			t.Fatalf("a third user got the room (%v)", err)
		}
		status, err := chromedp.Run(third, chromedp.Evaluate[int](`fetch(location.href).then(r => r.status)`, func(p *runtime.EvaluateParams) { yes := true; p.AwaitPromise = &yes }))
		if err != nil || status != 404 {
			t.Fatalf("third user: %d %v", status, err)
		}
		// Hanging up ends the call on both sides.
		if err := chromedp.Do(doctor, chromedp.Click(chromedp.CSS(`#hang-up`)),
			chromedp.Poll[chromedp.Void](`document.getElementById('call-status').dataset.state === 'ended'`)); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(patient, chromedp.Poll[chromedp.Void](`document.getElementById('call-status').dataset.state === 'waiting'`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("the patient did not see the doctor leave: %v", err)
		}
	})
}

// clinicCallSetup lists a new clinician of the demo's medical centre as a
// doctor open around the clock in ten-minute slots with no notice and
// books the next slot for the demo resident, so that the room is open
// now. It works on the served database through a second platform.
func clinicCallSetup(t *testing.T, dsn string) (consultation, doctorEmail string) {
	t.Helper()
	ctx := context.Background()
	p, err := platform.Open(ctx, platform.Config{Log: slog.New(slog.DiscardHandler), DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	director, err := p.Identity.UserByEmail(ctx, "director@medcentre.town.kz")
	if err != nil {
		t.Fatal(err)
	}
	doctorEmail = fmt.Sprintf("dr%s@medcentre.town.kz", uuid.NewString()[:8])
	doc, err := p.Identity.CreateUser(ctx, nil, director.OrgID, identity.NewUser{Email: doctorEmail, Name: "Dr. Test Call", Password: "bricstown-demo",
		Roles: []identity.Role{identity.Clinician}, Lang: "en"})
	if err != nil {
		t.Fatal(err)
	}
	admin := &identity.Principal{UserID: director.ID, OrgID: director.OrgID, OrgKind: identity.KindClinic, Roles: director.Roles, Via: "session"}
	var hours []booking.Hours
	for d := range 7 {
		hours = append(hours, booking.Hours{Day: d, From: "00:00", To: "24:00"})
	}
	d, err := p.Clinic.AddDoctor(ctx, admin, clinic.DoctorInput{UserID: doc.ID, Specialty: "general", Telemedicine: true, Hours: hours, SlotMinutes: 10, HorizonDays: 2})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Identity.UserByEmail(ctx, "resident@residents.town.kz")
	if err != nil {
		t.Fatal(err)
	}
	patient := &identity.Principal{UserID: res.ID, OrgID: res.OrgID, OrgKind: identity.KindResidents, Roles: res.Roles, Via: "session"}
	days, err := p.Clinic.Availability(ctx, patient, d.ID, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, day := range days {
		for _, s := range day.Slots {
			if s.Bookable && s.Free > 0 && s.Start.After(time.Now().Add(20*time.Second)) {
				c, _, err := p.Clinic.Book(ctx, patient, clinic.BookInput{DoctorID: d.ID, Start: s.Start.Format(time.RFC3339), Mode: clinic.Telemedicine, Key: uuid.NewString()})
				if err != nil {
					t.Fatal(err)
				}
				// In the last 20 s before a slot boundary the next slot's room
				// opens only at that boundary: wait for the clock.
				if wait := time.Until(s.Start.Add(-clinic.RoomOpensBefore)); wait > 0 {
					time.Sleep(wait + 100*time.Millisecond)
				}
				return c.ID, doctorEmail
			}
		}
	}
	t.Fatal("no open slot")
	return "", ""
}
