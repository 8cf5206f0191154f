package server

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"bricstown/internal/customs"
	"bricstown/internal/identity"
)

// Changes made without the API (the pages call the customs service
// directly) reach the declaration's subscribers too: publication hangs on
// the service's commit, not on any one caller.
func TestCustomsChangesReachSubscribersWhoeverMakesThem(t *testing.T) {
	f := getFixture(t)
	ctx := context.Background()
	org := f.orgs["Kazakh Grain Export"]
	p := &identity.Principal{UserID: "page-user", OrgID: org.ID, OrgKind: org.Kind, Roles: []identity.Role{identity.Trader}, Via: "session"}
	var content customs.Content
	if err := decodeInto(apiSteelImport("KGE-PAGE-1", "Kazakh Grain Export"), &content); err != nil {
		t.Fatal(err)
	}
	d, err := f.srv.Customs.Create(ctx, p, content)
	if err != nil {
		t.Fatal(err)
	}
	sub := f.srv.Notify.Subscribe(d.ID)
	defer sub.Close()
	if _, err := f.srv.Customs.Cancel(ctx, p, d.ID, "lodged by mistake"); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-sub.C:
		if ev.Subject != d.ID || ev.Type != EventTypeDeclaration {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a change made through the service was not published")
	}
}

// decodeInto converts a JSON-shaped test value into a typed struct.
func decodeInto(v any, dst any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, dst)
}
