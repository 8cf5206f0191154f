package demo

import (
	"context"
	"fmt"

	"bricstown/internal/identity"
	"bricstown/internal/ledger"
	"bricstown/internal/problem"
)

// demoCounterparties are accounts the demo companies pay, saved under
// their own labels so that the transfer form offers names from the start.
var demoCounterparties = []struct{ Org, Label, Payee, Ccy string }{
	{"Kazakh Grain Export", "Khorgos Gateway Logistics — freight", "Khorgos Gateway Logistics", "KZT"},
	{"Siberian Energy Trading", "Kazakh Grain Export — grain", "Kazakh Grain Export", "KZT"},
	{"Shenzhen Smart Devices", "Kazakh Grain Export — CNY", "Kazakh Grain Export", "CNY"},
}

// seedCounterparties saves them once (a second run finds them saved).
func seedCounterparties(ctx context.Context, orgs map[string]identity.Org, led *ledger.Service, ops map[string]ledger.ID) error {
	for _, c := range demoCounterparties {
		org, ok := orgs[c.Org]
		acct, ok2 := ops[c.Payee+"/"+c.Ccy]
		if !ok || !ok2 {
			continue
		}
		p := &identity.Principal{UserID: "system", OrgID: org.ID, OrgKind: org.Kind, Roles: []identity.Role{identity.Trader}, Via: "session"}
		_, err := led.SaveCounterparty(ctx, p, ledger.NewCounterparty{AccountID: acct.String(), Currency: c.Ccy, Label: c.Label})
		if err != nil && !problem.Is(err, problem.Conflict) {
			return fmt.Errorf("demo: counterparty %s: %w", c.Label, err)
		}
	}
	return nil
}
