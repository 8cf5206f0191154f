package market

import (
	"context"
	"fmt"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

// MaxBatch bounds one PublishBatch: one transaction, a few seconds at most.
const MaxBatch = 5000

// PublishBatch adds many products of the caller's company in one
// transaction: the same rule and validation as Publish, each with its audit
// record, all or nothing. The demo and the benchmark load catalogues this
// way (one transaction per product would be an fsync per product); it is
// no route of its own. Bad fields are reported as products[i].field.
func (s *Service) PublishBatch(ctx context.Context, p *identity.Principal, in []NewProduct) ([]Product, error) {
	if err := s.mustSell(p); err != nil {
		return nil, err
	}
	if len(in) > MaxBatch {
		return nil, problem.New(problem.Invalid, "at most %d products at once", MaxBatch)
	}
	now := s.now()
	out := make([]Product, 0, len(in))
	recs := make([]audit.Record, 0, len(in))
	bad := problem.Fields{}
	for i, np := range in {
		prod, err := s.validate(np)
		if err != nil {
			pe, ok := err.(*problem.Error)
			if !ok {
				return nil, err
			}
			for f, m := range pe.Fields {
				bad[fmt.Sprintf("products[%d].%s", i, f)] = m
			}
			continue
		}
		prod.ID, prod.SellerOrg, prod.CreatedAt, prod.CreatedBy, prod.UpdatedAt = uuid.Must(uuid.NewV7()).String(), p.OrgID, now, p.UserID, now
		out = append(out, prod)
		recs = append(recs, audit.Record{ActorUser: p.UserID, ActorOrg: p.OrgID, OrgID: p.OrgID, Action: "market.product.publish",
			SubjectType: "product", SubjectID: prod.ID, Detail: prod.HS + " " + prod.Origin})
	}
	if len(bad) > 0 {
		return nil, bad.Err("invalid products")
	}
	if err := s.store.ImportProducts(ctx, out, recs); err != nil {
		return nil, err
	}
	return out, nil
}
