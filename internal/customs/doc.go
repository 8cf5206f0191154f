// Package customs is the one-stop trade service centre of the town's
// international trade zone: goods declarations that customs and the
// quarantine (SPS) authority work on together, duties and taxes, risk-based
// selectivity and release. Traders submit once; both authorities see the
// same file; release is automatic where risk allows.
//
// The design follows UNCTAD's ASYCUDA World (declaration processing,
// selectivity lanes, tariff, payments), UN/CEFACT Recommendation 33 (single
// window) and Kazakhstan's ASTANA-1 (green, yellow and red corridors).
//
// # Layout
//
// Rules (evaluate.go) is the pure part: validation against the reference
// data, the tariff (tariff.go), SPS requirements (sps.go) and the risk
// engine (risk.go). It does no I/O, so it is tested table by table and
// benchmarked alone. Service (service.go) applies who-may-do-what and the
// state machine (state.go) and writes every transition through Store as one
// Change, atomically with its history and audit records.
//
// # Lifecycle
//
//	draft ──submit──▶ submitted ──(goods presented)──▶ assessed ──▶ released
//	  │                  │ pre-lodged: waits, amendable      │ lane
//	  │                  │                                   ├─ yellow: documentary_check ─┐
//	  │                  │                                   └─ red: physical_inspection ──┴─▶ released / refused
//	  └── amend (draft, submitted) · cancel (any status before the end)
//
// A declaration without arrival_expected_at, or whose arrival time has
// passed, is assessed at submission; a pre-lodged one when customs records
// the goods presented. Assessment computes duties (Rules.Assess), runs the
// risk engine and assigns the lane; green and blue go on to release by
// themselves once duties are paid or guaranteed and quarantine is clear.
// Yellow and red wait for an officer. Quarantine's part runs alongside in
// SPSState: its inspections, laboratory results and holds; customs cannot
// release goods that quarantine holds or that await an SPS inspection.
//
// Who does what (AuthorityOf): the trader or broker of the declarant org
// creates, amends (until assessment), attaches documents, submits, pays or
// lodges a guarantee, and cancels (until the end); customs officers record
// goods presented, decide checks (change the lane), release and refuse;
// quarantine officers record inspections, hold, lift holds and refuse. A
// declarant sees its own declarations, customs every lodged one,
// quarantine the lodged ones under SPS control; anything else is NotFound.
// Traders never see the risk engine's reasons.
//
// # Field names
//
// The JSON names of Content follow the WCO Data Model where it names the
// element, in snake case: functional_reference_id (Declaration/
// FunctionalReferenceID), exporter / importer / declarant / carrier (party
// classes with name, id, country_code = Name, ID, Address/CountryCode),
// trade_terms_condition_code (TradeTerms/ConditionCode), goods_items
// (GovernmentAgencyGoodsItem) with sequence_numeric, description
// (Commodity/Description), classification_id (Commodity/Classification/ID),
// origin_country_code (Origin/CountryCode), tariff_quantity and
// tariff_quantity_unit_code (GoodsMeasure/TariffQuantity, unitCode),
// net_net_weight_measure and gross_mass_measure (GoodsMeasure, in grams),
// customs_value_amount and customs_value_currency_id (CustomsValueAmount,
// currencyID); transport.mode_code (BorderTransportMeans/ModeCode),
// transport.border_transport_means_id (BorderTransportMeans/ID),
// transport.transport_equipment_ids (TransportEquipment/ID). The WCO model
// has no element for procedure (its TypeCode uses national codes),
// transport.corridor, transport.border_post (a UN/LOCODE here) or
// arrival_expected_at; those are the platform's names. Validation errors
// name fields by these paths, e.g. "goods_items[2].classification_id".
//
// # Money
//
// All amounts are int64 minor units; duties are in KZT tiyn. Customs values
// convert to KZT at the rate of the registration date with RoundHalfEven
// (valuation is a measurement, and half-even has no bias); each duty
// component and the VAT are rounded half-even per goods item; totals are
// exact sums. No floating point is used.
package customs
