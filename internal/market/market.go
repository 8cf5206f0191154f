// Package market is the town's cross-border catalogue: companies publish
// products (names in any of the five UI languages, HS 2022 code, origin,
// unit, minimum order, price tiers in their own currency, Incoterms 2020,
// stock), may give one buyer organisation, or a named group of buyers
// (groups.go), a contract price for a period, and every signed-in user
// searches the catalogue with facets, seeing prices in their own currency
// at the official reference rates.
//
// This is the first slice of issue 11 (the catalogue and its search);
// buying, escrow and expos build on it. Sellers attach a few images to
// their products (images.go).
package market

import (
	"slices"
	"strings"
	"time"
)

// Languages are the languages a product's name and description may be
// written in: the five of the UI.
var Languages = []string{"en", "ru", "zh", "kk", "pt"}

// Incoterms are the eleven Incoterms 2020 rules, in the ICC's order (the
// seven for any mode of transport, then the four for sea and inland
// waterway). A product's offered terms are stored as a bit mask in this
// order, so this order must never change.
var Incoterms = []string{"EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF"}

// IncotermBit is the mask bit of an Incoterm, 0 for an unknown one.
func IncotermBit(code string) int64 {
	if i := slices.Index(Incoterms, code); i >= 0 {
		return 1 << i
	}
	return 0
}

// IncotermsOf lists the terms of a mask in the ICC's order.
func IncotermsOf(mask int64) []string {
	var out []string
	for i, c := range Incoterms {
		if mask&(1<<i) != 0 {
			out = append(out, c)
		}
	}
	return out
}

// Units a product may be sold by (UN/ECE Recommendation 20 names in the
// catalogues): mass, volume, length, area and counted articles.
var Units = []string{"kg", "t", "l", "m3", "m", "m2", "pcs", "set", "box"}

// Limits of one product.
const (
	MaxNameLen        = 200
	MaxDescriptionLen = 4000
	MaxTiers          = 10
	// MaxQuantity bounds quantities (MOQ, tier breaks, stock) far below
	// where a quantity times a unit price in minor units could overflow
	// together with any realistic price; prices are checked on their own.
	MaxQuantity int64 = 1_000_000_000_000
)

// Tier is one price break: from MinQty units on, each unit costs
// UnitPrice minor units of the product's currency.
type Tier struct {
	MinQty    int64 `json:"min_qty"`
	UnitPrice int64 `json:"unit_price"`
}

// Product is one catalogue entry of a seller.
type Product struct {
	ID        string `json:"id"`
	SellerOrg string `json:"seller_org"`
	// Names and Descriptions are keyed by language (en ru zh kk pt); at
	// least one name is given, descriptions are optional.
	Names        map[string]string `json:"names"`
	Descriptions map[string]string `json:"descriptions,omitempty"`
	HS           string            `json:"hs"`      // HS 2022 subheading, 6 digits
	Section      string            `json:"section"` // its HS section, "I".."XXI"
	Origin       string            `json:"origin"`  // ISO 3166 alpha-2
	Unit         string            `json:"unit"`
	MOQ          int64             `json:"moq"`
	Currency     string            `json:"currency"` // ISO 4217, the seller's
	Tiers        []Tier            `json:"tiers"`    // ascending MinQty; the first at MOQ
	Incoterms    []string          `json:"incoterms"`
	Stock        int64             `json:"stock"`
	CreatedAt    time.Time         `json:"created_at"`
	CreatedBy    string            `json:"created_by"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// ListPrice is the unit price at the minimum order quantity, the price a
// product is listed, filtered and faceted by.
func (p *Product) ListPrice() int64 {
	if len(p.Tiers) == 0 {
		return 0
	}
	return p.Tiers[0].UnitPrice
}

// PriceFor is the unit price of the tier that applies to qty (0 below MOQ).
func (p *Product) PriceFor(qty int64) int64 {
	var price int64
	for _, t := range p.Tiers {
		if qty >= t.MinQty {
			price = t.UnitPrice
		}
	}
	return price
}

// IncotermMask is the product's offered terms as a mask (see Incoterms).
func (p *Product) IncotermMask() int64 {
	var m int64
	for _, c := range p.Incoterms {
		m |= IncotermBit(c)
	}
	return m
}

// Name is the product's name in lang, else in English, else in the first
// language that has one, so that every reader sees something.
func (p *Product) Name(lang string) string { return pick(p.Names, lang) }

// Description is like Name for the description.
func (p *Product) Description(lang string) string { return pick(p.Descriptions, lang) }

// NameLang is the language Name(lang) is actually written in, so that a
// page can mark text in another language (lang attribute).
func (p *Product) NameLang(lang string) string {
	if p.Names[lang] != "" {
		return lang
	}
	for _, l := range append([]string{"en"}, Languages...) {
		if p.Names[l] != "" {
			return l
		}
	}
	return lang
}

func pick(m map[string]string, lang string) string {
	if s := m[lang]; s != "" {
		return s
	}
	if s := m["en"]; s != "" {
		return s
	}
	for _, l := range Languages {
		if s := m[l]; s != "" {
			return s
		}
	}
	return ""
}

// ContractPrice is a seller's price of one product for one buyer
// organisation (BuyerOrg) or for every member of one of the seller's buyer
// groups (BuyerGroup), exactly one of the two, from ValidFrom (inclusive)
// to ValidTo (exclusive). Only the seller and the buyers it applies to
// ever see it; while it is in force it replaces the list price for them
// (all tiers: a contract price is one price). When several are in force
// for one buyer, the buyer's own wins over a group's and among groups' the
// lowest wins (EffectivePrices).
type ContractPrice struct {
	ID         string    `json:"id"`
	ProductID  string    `json:"product_id"`
	SellerOrg  string    `json:"seller_org"`
	BuyerOrg   string    `json:"buyer_org,omitempty"`
	BuyerGroup string    `json:"buyer_group,omitempty"`
	UnitPrice  int64     `json:"unit_price"`
	Currency   string    `json:"currency"`
	ValidFrom  time.Time `json:"valid_from"`
	ValidTo    time.Time `json:"valid_to"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
}

// InForce reports whether the contract price applies at t.
func (c *ContractPrice) InForce(t time.Time) bool {
	return !t.Before(c.ValidFrom) && t.Before(c.ValidTo)
}

// MOQ buckets: 1–9, 10–99, 100–999, 1 000–9 999, 10 000 and more.
const MOQBuckets = 5

// MOQBucket is the facet bucket of a minimum order quantity.
func MOQBucket(moq int64) int {
	b := 0
	for limit := int64(10); b < MOQBuckets-1 && moq >= limit; limit *= 10 {
		b++
	}
	return b
}

// Price buckets are decades of the buyer's currency, in whole units:
// below 10, 10–100, 100–1 000, 1 000–10 000, 10 000–100 000, 100 000 and
// more. Decades fit every currency of the town (a kilogram of coffee and a
// harvester are both somewhere on that scale, in rupees or in yuan).
const PriceBuckets = 6

// priceBounds are the lower bounds of buckets 1..5 in whole units.
var priceBounds = [PriceBuckets - 1]int64{10, 100, 1_000, 10_000, 100_000}

// normText lower-cases s for indexing and search; ё is searched as е,
// as Russian readers type it.
func normText(s string) string {
	return strings.ReplaceAll(strings.ToLower(s), "ё", "е")
}
