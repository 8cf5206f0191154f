package customs

import (
	"context"
	"errors"
	"strconv"
	"time"

	"bricstown/internal/money"
	"bricstown/internal/problem"
	"bricstown/internal/refdata"
)

// RateFunc gives the price of one unit of ccy in KZT on date, the official
// rate customs values goods at. It is injected so that the rate source (the
// National Bank's daily fixing, or the town's FX board) can change without
// touching the rules.
type RateFunc func(ccy string, date time.Time) (money.Rate, error)

// RateSource is a RateFunc that may do I/O: the service binds each
// request's context to it (the rules stay pure).
type RateSource func(ctx context.Context, ccy string, date time.Time) (money.Rate, error)

// Rules is the pure half of customs: reference data, tariff, SPS rules and
// risk configuration, and the computations on them. It does no I/O and is
// immutable once built, so one Rules serves every request concurrently and
// benchmarks measure exactly the work a declaration costs.
type Rules struct {
	Ref    *refdata.Data
	Tariff *Tariff
	SPS    *SPSTable
	Risk   RiskConfig
	// VATBps is the import VAT rate (Kazakhstan: 12% = 1200).
	VATBps int64
	// FeeKZT is the customs processing fee per declaration, in tiyn.
	FeeKZT int64
}

// Defaults of the Kazakh regime used by DemoRules.
const (
	KazakhstanVATBps = 1200
	DemoFeeKZT       = 20_000_00 // 20 000 KZT
)

// DemoRules assembles the embedded demo tables into a Rules.
func DemoRules(ref *refdata.Data) (*Rules, error) {
	sps, err := NewSPSTable(DemoSPSRules)
	if err != nil {
		return nil, err
	}
	r := &Rules{Ref: ref, Tariff: DemoTariff(), SPS: sps, Risk: DefaultRiskConfig(), VATBps: KazakhstanVATBps, FeeKZT: DemoFeeKZT}
	return r, r.Check()
}

// Check refuses an incomplete or inconsistent configuration, so that a bad
// deployment fails at start-up rather than on the first declaration.
func (r *Rules) Check() error {
	switch {
	case r.Ref == nil:
		return errors.New("customs: rules need reference data")
	case r.Tariff == nil:
		return errors.New("customs: rules need a tariff")
	case r.VATBps < 0 || r.VATBps > money.BpsPerUnit:
		return errors.New("customs: VAT must be 0..10000 basis points")
	case r.FeeKZT < 0:
		return errors.New("customs: the fee must not be negative")
	}
	return r.Risk.validate()
}

// Assess computes the duties and taxes of validated content, valuing each
// foreign currency once at the rate for date.
//
// Rounding (every amount is tiyn, int64, exact until one rounding step):
//   - valuation: the customs value converts to KZT with RoundHalfEven. It is
//     a measurement, not a payment, and half-even has no bias either way;
//   - each duty component and the VAT are computed exactly from the KZT
//     value and rounded half-even to the tiyn once, per goods item, which is
//     how the amounts appear on the assessment notice line by line;
//   - totals are exact sums of the rounded lines.
//
// Imports pay duty (nil for goods of EAEU origin: the union's internal
// preference), VAT at VATBps on customs value plus duty, and the fee.
// Exports and transit pay the fee only: the tariff is an import tariff,
// exports are zero-rated for VAT, and transit goods only pass through.
func (r *Rules) Assess(c *Content, date time.Time, rates RateFunc) (Assessment, error) {
	a := Assessment{ValuationDate: date.UTC().Truncate(time.Microsecond), FeeKZT: r.FeeKZT, Lines: make([]AssessmentLine, len(c.Items))}
	if c.Procedure == Import {
		a.VATBps = r.VATBps
	}
	f := problem.Fields{}
	for i := range c.Items {
		it := &c.Items[i]
		path := "goods_items[" + strconv.Itoa(i) + "]."
		ln := &a.Lines[i]
		ln.SequenceNumeric, ln.ClassificationID = it.SequenceNumeric, it.ClassificationID
		v, err := r.valueKZT(&a, it, rates)
		if err != nil {
			if code := problem.CodeOf(err); code == problem.Unavailable || code == problem.Internal {
				return Assessment{}, err
			}
			f.Add(path+"customs_value_currency_id", problem.MessageOf(err))
			continue
		}
		ln.ValueKZT = v
		tl, ok := r.Tariff.Lookup(it.ClassificationID)
		if !ok {
			f.Addf(path+"classification_id", "no tariff line covers %s", it.ClassificationID)
			continue
		}
		ln.TariffPrefix = tl.Prefix
		if c.Procedure != Import {
			ln.Basis = "none"
			continue
		}
		if tl.SpecificPerUnit != 0 {
			if u, _ := LookupUnit(it.TariffQuantityUnitCode); !u.Count {
				f.Addf(path+"tariff_quantity_unit_code", "tariff line %s charges per unit: declare the quantity in articles (NAR)", tl.Prefix)
				continue
			}
		}
		if r.Ref.IsMember(it.OriginCountryCode, refdata.EAEU) {
			ln.Preference, ln.Basis = "EAEU", "preference"
		} else {
			ln.DutyKZT, ln.Basis, err = tl.Duty(v, it.NetNetWeightMeasure, it.TariffQuantity)
			if err != nil {
				f.Add(path+"customs_value_amount", "duty is too large to compute")
				continue
			}
		}
		base, ok := money.Add(v, ln.DutyKZT)
		if !ok {
			f.Add(path+"customs_value_amount", "too large")
			continue
		}
		if ln.VATKZT, err = money.ApplyBps(base, r.VATBps, money.RoundHalfEven); err != nil {
			f.Add(path+"customs_value_amount", "too large")
			continue
		}
	}
	if err := f.Err("the declaration cannot be assessed"); err != nil {
		return Assessment{}, err
	}
	var ok1, ok2 bool = true, true
	for _, ln := range a.Lines {
		if a.DutyKZT, ok1 = money.Add(a.DutyKZT, ln.DutyKZT); !ok1 {
			break
		}
		if a.VATKZT, ok2 = money.Add(a.VATKZT, ln.VATKZT); !ok2 {
			break
		}
	}
	total, ok3 := money.Sum(a.DutyKZT, a.VATKZT, a.FeeKZT)
	if !ok1 || !ok2 || !ok3 {
		return Assessment{}, problem.New(problem.Invalid, "the duties of this declaration are too large to compute")
	}
	a.TotalKZT = total
	return a, nil
}

// valueKZT converts an item's customs value to KZT, reusing the rate of a
// currency already valued in this assessment.
func (r *Rules) valueKZT(a *Assessment, it *Item, rates RateFunc) (int64, error) {
	ccy := it.CustomsValueCurrencyID
	exp, ok := r.Ref.MoneyExponent(ccy)
	if !ok {
		return 0, problem.New(problem.Invalid, "unknown currency %q", ccy)
	}
	if ccy == "KZT" {
		return it.CustomsValueAmount, nil
	}
	var rate money.Rate
	for _, ru := range a.Rates {
		if ru.Currency == ccy {
			rate = ru.Rate
			break
		}
	}
	if rate.IsZero() {
		if rates == nil {
			return 0, problem.New(problem.Unavailable, "no exchange rate source is configured for %s", ccy)
		}
		var err error
		rate, err = rates(ccy, a.ValuationDate)
		if err != nil {
			var pe *problem.Error
			if errors.As(err, &pe) {
				return 0, err
			}
			return 0, problem.Wrap(problem.Unavailable, err, "no KZT rate for %s on %s", ccy, a.ValuationDate.Format(time.DateOnly))
		}
		if rate.IsZero() {
			return 0, problem.New(problem.Unavailable, "no KZT rate for %s on %s", ccy, a.ValuationDate.Format(time.DateOnly))
		}
		a.Rates = append(a.Rates, RateUsed{Currency: ccy, Rate: rate, Date: a.ValuationDate})
	}
	v, err := money.Convert(it.CustomsValueAmount, exp, rate, 2, money.RoundHalfEven)
	if err != nil {
		return 0, problem.Wrap(problem.Invalid, err, "the customs value is too large to convert to KZT")
	}
	return v, nil
}

// Evaluation is everything the rules decide about a declaration at
// assessment.
type Evaluation struct {
	Assessment Assessment
	SPS        SPSState
	Risk       RiskResult
}

// Evaluate runs assessment, SPS and risk on validated content: the whole
// decision customs makes when goods are presented, without storage.
func (r *Rules) Evaluate(declID string, c *Content, docs []Document, trader TraderProfile, date time.Time, rates RateFunc) (Evaluation, error) {
	a, err := r.Assess(c, date, rates)
	if err != nil {
		return Evaluation{}, err
	}
	ev := Evaluation{Assessment: a, SPS: r.SPSFor(declID, c)}
	ev.Risk = r.Risk.AssessRisk(r.Ref, RiskInput{DeclarationID: declID, Content: c, Lines: a.Lines, Documents: docs, Trader: trader})
	return ev, nil
}

// SPSFor is the SPS requirement of content under these rules.
func (r *Rules) SPSFor(declID string, c *Content) SPSState {
	if r.SPS == nil {
		return SPSState{Status: SPSNotRequired}
	}
	return r.SPS.Evaluate(declID, r.Risk.Salt, c.Items)
}

func laneStatus(l Lane) Status {
	switch l {
	case LaneYellow:
		return StatusDocumentaryCheck
	case LaneRed:
		return StatusPhysicalInspection
	}
	return StatusAssessed
}
