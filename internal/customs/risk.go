package customs

import (
	"fmt"
	"math/bits"
	"slices"

	"bricstown/internal/money"
	"bricstown/internal/refdata"
)

// RiskRule targets goods by classification prefix and/or origin country
// (and optionally one procedure) and adds its weight to the score. These are
// the profiles customs analysts maintain.
type RiskRule struct {
	ID          string    `json:"id"`
	Description string    `json:"description"`
	HSPrefix    string    `json:"hs_prefix,omitempty"`
	Origin      string    `json:"origin,omitempty"` // ISO 3166 alpha-2
	Procedure   Procedure `json:"procedure,omitempty"`
	Weight      int64     `json:"weight"`
}

// RiskConfig is the risk engine's configuration. Findings add weights to a
// score; the score picks the lane (YellowAt, RedAt); trusted traders (AEO)
// have yellow-level findings deferred to post-clearance audit (blue) instead
// of a documentary check; a random sample keeps every trader honest.
type RiskConfig struct {
	Rules []RiskRule
	// Prices is the reference price table for undervaluation; nil disables
	// the rule.
	Prices *PriceTable
	// A declared value per kg below UndervalueRedBps of the reference adds
	// RedAt; below UndervalueYellowBps adds YellowAt.
	UndervalueRedBps    int64
	UndervalueYellowBps int64
	// RefusalWeight is added per refused declaration of the declarant in
	// the look-back window, up to RefusalCap.
	RefusalWeight int64
	RefusalCap    int64
	// MissingInvoiceWeight applies to an import or export declaration
	// without a commercial invoice attached.
	MissingInvoiceWeight int64
	// OriginMismatchWeight applies to goods claiming EAEU origin (duty-free)
	// that are exported from outside the union.
	OriginMismatchWeight int64
	// Random selection per 10 000 declarations, drawn from a hash of the
	// declaration id and Salt.
	RandomRedBps    int64
	RandomYellowBps int64
	RandomBlueBps   int64
	// Score thresholds.
	YellowAt int64
	RedAt    int64
	// Salt keeps the random draw unpredictable to traders; set it to a
	// secret in production. Tests leave it empty to be reproducible.
	Salt string
}

// DemoRiskRules are the analysts' profiles for the demo's goods.
var DemoRiskRules = []RiskRule{
	{ID: "R-TGT-091020", Description: "Saffron: high value per kg, often adulterated or misdeclared", HSPrefix: "091020", Weight: 50},
	{ID: "R-TGT-8517", Description: "Smartphones: undervaluation-prone electronics", HSPrefix: "8517", Weight: 30},
	{ID: "R-TGT-8703", Description: "Motor cars: valuation and origin fraud", HSPrefix: "8703", Weight: 30},
	{ID: "R-TGT-61", Description: "Knitted apparel: frequent misclassification", HSPrefix: "61", Weight: 20},
	{ID: "R-TGT-62", Description: "Woven apparel: frequent misclassification", HSPrefix: "62", Weight: 20},
}

// DefaultRiskConfig is a balanced demo configuration: with a clean history
// most declarations go green, in line with ASTANA-1's reported shares
// (78.5% green, 20.1% yellow, 1% red at one post in 2025).
func DefaultRiskConfig() RiskConfig {
	return RiskConfig{
		Rules:                DemoRiskRules,
		Prices:               DemoReferencePrices(),
		UndervalueRedBps:     6000,
		UndervalueYellowBps:  8000,
		RefusalWeight:        40,
		RefusalCap:           120,
		MissingInvoiceWeight: 50,
		OriginMismatchWeight: 50,
		RandomRedBps:         100,
		RandomYellowBps:      1500,
		RandomBlueBps:        200,
		YellowAt:             50,
		RedAt:                100,
	}
}

func (c RiskConfig) validate() error {
	for _, v := range []int64{c.UndervalueRedBps, c.UndervalueYellowBps, c.RandomRedBps, c.RandomYellowBps, c.RandomBlueBps} {
		if v < 0 || v > 10_000 {
			return fmt.Errorf("customs: risk rates must be 0..10000 basis points")
		}
	}
	if c.RandomRedBps+c.RandomYellowBps+c.RandomBlueBps > 10_000 {
		return fmt.Errorf("customs: random selection rates add up to more than 100%%")
	}
	if c.YellowAt <= 0 || c.RedAt < c.YellowAt {
		return fmt.Errorf("customs: risk thresholds need 0 < YellowAt <= RedAt")
	}
	seen := map[string]bool{}
	for _, r := range c.Rules {
		if r.ID == "" || seen[r.ID] {
			return fmt.Errorf("customs: risk rule ids must be present and unique (%q)", r.ID)
		}
		seen[r.ID] = true
		if r.HSPrefix != "" && !validPrefix(r.HSPrefix) {
			return fmt.Errorf("customs: risk rule %s: hs_prefix %q must be 2 to 10 digits", r.ID, r.HSPrefix)
		}
		if r.HSPrefix == "" && r.Origin == "" {
			return fmt.Errorf("customs: risk rule %s targets nothing", r.ID)
		}
	}
	return nil
}

// RiskInput is what the engine looks at.
type RiskInput struct {
	DeclarationID string
	Content       *Content
	Lines         []AssessmentLine // customs values in KZT, one per item
	Documents     []Document
	Trader        TraderProfile
}

// RiskResult is the lane with its reasons.
type RiskResult struct {
	Lane    Lane
	Score   int64
	Reasons []RiskReason
}

// Risk IDs of the built-in rules, stable for dashboards and audit.
const (
	RuleUndervalueRed    = "R-VAL-RED"
	RuleUndervalueYellow = "R-VAL-YELLOW"
	RuleHistory          = "R-HIST"
	RuleMissingInvoice   = "R-DOC-INVOICE"
	RuleOriginMismatch   = "R-ORIGIN-EAEU"
	RuleRandomRed        = "R-RAND-RED"
	RuleRandomYellow     = "R-RAND-YELLOW"
	RuleRandomBlue       = "R-RAND-BLUE"
	RuleAEO              = "R-AEO"
	RuleOfficer          = "R-OFFICER"
)

// AssessRisk scores a declaration and picks its lane. It is pure: the same
// input always gives the same lane and reasons.
func (c *RiskConfig) AssessRisk(ref *refdata.Data, in RiskInput) RiskResult {
	var res RiskResult
	add := func(id, desc string, w int64, params ...FindingParams) {
		r := RiskReason{RuleID: id, Description: desc, Weight: w, Params: &FindingParams{}}
		if len(params) > 0 {
			r.Params = &params[0]
		}
		res.Reasons = append(res.Reasons, r)
		res.Score += w
	}
	ct := in.Content

	// Targeting profiles: each rule counts once per declaration.
	for _, r := range c.Rules {
		if r.Procedure != "" && r.Procedure != ct.Procedure {
			continue
		}
		for _, it := range ct.Items {
			if (r.HSPrefix == "" || hasPrefix(it.ClassificationID, r.HSPrefix)) && (r.Origin == "" || r.Origin == it.OriginCountryCode) {
				add(r.ID, fmt.Sprintf("%s (goods item %d)", r.Description, it.SequenceNumeric), r.Weight, FindingParams{Item: it.SequenceNumeric})
				break
			}
		}
	}

	// Undervaluation against reference prices, worst item counts.
	if c.Prices != nil && ct.Procedure != Transit {
		var worst int64 // 0 none, else weight
		var worstDesc string
		var worstParams FindingParams
		for i, it := range ct.Items {
			if i >= len(in.Lines) {
				break
			}
			p, ok := c.Prices.Lookup(it.ClassificationID)
			if !ok {
				continue
			}
			ratio, ok := valueRatioBps(in.Lines[i].ValueKZT, it.NetNetWeightMeasure, p.KZTPerKg)
			if !ok {
				continue
			}
			var w int64
			switch {
			case ratio < c.UndervalueRedBps:
				w = c.RedAt
			case ratio < c.UndervalueYellowBps:
				w = c.YellowAt
			}
			if w > worst {
				worst = w
				worstParams = FindingParams{Item: it.SequenceNumeric, PerKgKZT: perKg(in.Lines[i].ValueKZT, it.NetNetWeightMeasure),
					RefPerKgKZT: p.KZTPerKg, RatioPct: ratio / 100, RefPrefix: p.Prefix}
				worstDesc = fmt.Sprintf("goods item %d declared at %s KZT/kg, %d%% of the reference %s KZT/kg (%s)",
					it.SequenceNumeric, money.FormatAmount(perKg(in.Lines[i].ValueKZT, it.NetNetWeightMeasure), 2),
					ratio/100, money.FormatAmount(p.KZTPerKg, 2), p.Description)
			}
		}
		if worst >= c.RedAt {
			add(RuleUndervalueRed, "Undervaluation: "+worstDesc, worst, worstParams)
		} else if worst > 0 {
			add(RuleUndervalueYellow, "Possible undervaluation: "+worstDesc, worst, worstParams)
		}
	}

	// Compliance history.
	if n := int64(in.Trader.Refusals); n > 0 && c.RefusalWeight > 0 {
		w := n * c.RefusalWeight
		if c.RefusalCap > 0 && w > c.RefusalCap {
			w = c.RefusalCap
		}
		add(RuleHistory, fmt.Sprintf("Declarant had %d declaration(s) refused in the last year", n), w, FindingParams{Refusals: int(n)})
	}

	// Paperwork.
	if c.MissingInvoiceWeight > 0 && ct.Procedure != Transit &&
		!slices.ContainsFunc(in.Documents, func(d Document) bool { return d.Kind == DocCommercialInvoice }) {
		add(RuleMissingInvoice, "No commercial invoice attached", c.MissingInvoiceWeight)
	}
	if c.OriginMismatchWeight > 0 && ref != nil && ct.Exporter.CountryCode != "" && !ref.IsMember(ct.Exporter.CountryCode, refdata.EAEU) {
		for _, it := range ct.Items {
			if ref.IsMember(it.OriginCountryCode, refdata.EAEU) {
				add(RuleOriginMismatch, fmt.Sprintf("Goods item %d claims EAEU origin (%s) but is exported from %s",
					it.SequenceNumeric, it.OriginCountryCode, ct.Exporter.CountryCode), c.OriginMismatchWeight,
					FindingParams{Item: it.SequenceNumeric, Origin: it.OriginCountryCode, Exporter: ct.Exporter.CountryCode})
				break
			}
		}
	}

	// Random selection.
	r := int64(draw(c.Salt, "lane", in.DeclarationID))
	randomBlue := false
	switch {
	case r < c.RandomRedBps:
		add(RuleRandomRed, "Random selection for physical inspection", c.RedAt)
	case r < c.RandomRedBps+c.RandomYellowBps:
		add(RuleRandomYellow, "Random selection for documentary check", c.YellowAt)
	case r < c.RandomRedBps+c.RandomYellowBps+c.RandomBlueBps:
		randomBlue = true
	}

	switch {
	case res.Score >= c.RedAt:
		res.Lane = LaneRed
	case res.Score >= c.YellowAt:
		res.Lane = LaneYellow
	default:
		res.Lane = LaneGreen
	}
	if in.Trader.AEO {
		switch res.Lane {
		case LaneYellow:
			res.Lane = LaneBlue
			add(RuleAEO, "Authorised economic operator: documentary findings deferred to post-clearance audit", 0, FindingParams{Deferred: true})
		case LaneGreen:
			add(RuleAEO, "Authorised economic operator", 0)
		}
	}
	if randomBlue && res.Lane == LaneGreen {
		res.Lane = LaneBlue
		add(RuleRandomBlue, "Random selection for post-clearance audit", 0)
	}
	return res
}

func hasPrefix(code, prefix string) bool {
	return len(code) >= len(prefix) && code[:len(prefix)] == prefix
}

// valueRatioBps is the declared value per kg as basis points of the
// reference per kg: value×1000×10000 / (netGrams×ref), exact in 128 bits
// and truncated (a risk threshold needs no rounding rule). ok is false
// without a mass or when the ratio is astronomically high.
func valueRatioBps(valueKZT, netGrams, refPerKg int64) (int64, bool) {
	if valueKZT < 0 || netGrams <= 0 || refPerKg <= 0 {
		return 0, false
	}
	// numerator = value × 10^7 (< 2^64 × 2^24), denominator = net × ref.
	nh, nl := bits.Mul64(uint64(valueKZT), 10_000_000)
	dh, dl := bits.Mul64(uint64(netGrams), uint64(refPerKg))
	if dh != 0 {
		// Huge denominator: scale both down by 2^32 so it fits; the ratio
		// barely changes at these magnitudes.
		nl = nl>>32 | nh<<32
		nh >>= 32
		dl = dl>>32 | dh<<32
		dh >>= 32
		if dh != 0 || dl == 0 {
			return 0, false
		}
	}
	if nh >= dl {
		return 0, false // ratio ≥ 2^64: certainly not undervalued
	}
	q, _ := bits.Div64(nh, nl, dl)
	if q > 1<<62 {
		return 0, false
	}
	return int64(q), true
}

// perKg is a value per kilogram of net mass, truncated, for messages.
func perKg(valueKZT, netGrams int64) int64 {
	v, ok := mulDivHalfEven(valueKZT, 1000, netGrams)
	if !ok {
		return 0
	}
	return v
}
