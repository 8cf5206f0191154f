package demo

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"bricstown/internal/identity"
	"bricstown/internal/ledger"
)

// pendingCode marks the demo's open reservation, so a second seeding finds it.
const pendingCode = "demo_pending"

// seedPending leaves one payment pending between two traders (the grain
// exporter reserves an advance for its energy supplier, open for 30 days),
// so a trader's home shows money on its way out and in, not only posted
// balances.
func seedPending(ctx context.Context, orgs map[string]identity.Org, led *ledger.Service, ops map[string]ledger.ID) error {
	from, to := ops["Kazakh Grain Export/KZT"], ops["Siberian Energy Trading/KZT"]
	history, err := led.HistoryOf(ctx, from, 0, 500)
	if err != nil {
		return err
	}
	for _, t := range history {
		if t.Code == pendingCode {
			return nil
		}
	}
	org := orgs["Kazakh Grain Export"]
	p := &identity.Principal{UserID: "system", OrgID: org.ID, OrgKind: org.Kind, Roles: []identity.Role{identity.Trader}, Via: "session"}
	res, err := led.Submit(ctx, p, []ledger.Transfer{{ID: uuid.Must(uuid.NewV7()), DebitAccount: from, CreditAccount: to, Amount: 4_500_000_00,
		Currency: "KZT", Flags: ledger.Pending, Timeout: 30 * 24 * 3600, Code: pendingCode, Reference: "advance, fuel contract SET-2026-114"}})
	if err != nil {
		return fmt.Errorf("demo: pending payment: %w", err)
	}
	if len(res) != 1 || res[0].Code != ledger.OK {
		return fmt.Errorf("demo: pending payment: %v", res)
	}
	return nil
}
