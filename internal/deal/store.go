package deal

import (
	"context"

	"bricstown/internal/audit"
)

// Store is the agreements' storage. Lookups answer problem.NotFound when nothing matches; every
// write appends its audit records in the same transaction.
type Store interface {
	// CreateDealKey records a public key; problem.Conflict when the organisation already holds
	// it or holds MaxKeys keys.
	CreateDealKey(ctx context.Context, k Key, rec audit.Record) error
	GetDealKey(ctx context.Context, id string) (Key, error)
	// ListDealKeys lists an organisation's keys, oldest first.
	ListDealKeys(ctx context.Context, orgID string) ([]Key, error)
	// CreateAgreement writes an open agreement, its parties unsigned, and its document.
	CreateAgreement(ctx context.Context, a Agreement, doc []byte, rec audit.Record) error
	// GetAgreement reads an agreement with its parties (in the order they were named).
	GetAgreement(ctx context.Context, id string) (Agreement, error)
	// AgreementDocument reads the document's bytes.
	AgreementDocument(ctx context.Context, id string) ([]byte, error)
	// ListAgreements lists the agreements orgID is a party to, newest first.
	ListAgreements(ctx context.Context, orgID string, limit int) ([]Agreement, error)
	// SignAgreement stores party's signature. It answers problem.Conflict when that party has
	// already signed, and marks the agreement signed (appending done too) when it was the last.
	// It reports whether the agreement is now signed by all.
	SignAgreement(ctx context.Context, agreementID string, party Party, rec, done audit.Record) (bool, error)
}
