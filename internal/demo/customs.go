package demo

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"bricstown/internal/customs"
	"bricstown/internal/dutyledger"
	"bricstown/internal/guarantee"
	"bricstown/internal/identity"
	"bricstown/internal/ledger"
)

// The demo's customs files: what a morning at the one-stop trade service
// centre looks like. Grain leaves for China through Khorgos and Dostyk,
// smartphones, beef, coffee, dates and saffron come in, container trains
// cross in transit; some declarations are released (duties paid from the
// traders' KZT operating accounts through the ledger, or guaranteed), some
// wait in the officers' yellow and red queues, one is held by quarantine,
// one is pre-lodged ahead of its train, one is still a draft.
//
// Each declaration carries a functional reference starting with "DEMO-";
// seeding skips the ones its declarant already has, so it is idempotent.

// customsAEO is the demo's authorised economic operator.
const customsAEO = "Kazakh Grain Export"

// demoOutcome is where a demo declaration is left.
type demoOutcome int

const (
	leaveDraft     demoOutcome = iota
	leavePreLodged             // submitted, goods expected in two days
	leaveReleased              // paid (or guaranteed) and released
	leaveAwaitPay              // green lane, waiting for the duties
	leaveYellow                // documentary check
	leaveRed                   // physical inspection
	leaveHeld                  // quarantine hold
	leaveRefused               // refused by customs
	// leaveRefunded: duties paid during a documentary check, then the
	// declarant cancels; customs pays the duties back through the ledger.
	leaveRefunded
)

type demoDeclaration struct {
	declarant string
	content   customs.Content
	docs      []customs.DocumentKind
	outcome   demoOutcome
	reason    string // the officer's reason for a lane, hold or refusal
}

// containerNo completes an owner code, category and serial ("MSKU907032")
// with its ISO 6346 check digit.
func containerNo(first10 string) string {
	d, ok := customs.ContainerCheckDigit(first10)
	if !ok {
		panic("demo: bad container number " + first10)
	}
	return first10 + string(d)
}

func demoItem(desc, hs, origin string, qty int64, unit string, netKg, grossKg int64, usdCents int64) customs.Item {
	return customs.Item{Description: desc, ClassificationID: hs, OriginCountryCode: origin, TariffQuantity: qty, TariffQuantityUnitCode: unit,
		NetNetWeightMeasure: netKg * 1000, GrossMassMeasure: grossKg * 1000, CustomsValueAmount: usdCents, CustomsValueCurrencyID: "USD"}
}

func demoDeclarations(now time.Time) []demoDeclaration {
	kge := customs.Party{Name: "Kazakh Grain Export", CountryCode: "KZ"}
	kgl := customs.Party{Name: "Khorgos Gateway Logistics", CountryCode: "KZ"}
	cofco := customs.Party{Name: "Xinjiang Grain Import Co.", CountryCode: "CN"}
	almatyElectronics := customs.Party{Name: "Almaty Electronics Distribution", CountryCode: "KZ"}
	astanaFoods := customs.Party{Name: "Astana Fresh Foods", CountryCode: "KZ"}
	phyto := []customs.DocumentKind{customs.DocCommercialInvoice, customs.DocPhytosanitary}
	vet := []customs.DocumentKind{customs.DocCommercialInvoice, customs.DocVeterinary}
	inv := []customs.DocumentKind{customs.DocCommercialInvoice}
	rail := func(post string, train string, boxes ...string) customs.Transport {
		ids := make([]string, len(boxes))
		for i, b := range boxes {
			ids[i] = containerNo(b)
		}
		return customs.Transport{ModeCode: customs.ModeRail, Corridor: "Trans-Caspian / China–Europe rail", BorderTransportMeansID: train, TransportEquipmentIDs: ids, BorderPost: post}
	}
	road := func(plate string, boxes ...string) customs.Transport {
		ids := make([]string, len(boxes))
		for i, b := range boxes {
			ids[i] = containerNo(b)
		}
		return customs.Transport{ModeCode: customs.ModeRoad, Corridor: "Western Europe – Western China", BorderTransportMeansID: plate, TransportEquipmentIDs: ids, BorderPost: "KZHOR"}
	}
	air := func(flight string) customs.Transport {
		return customs.Transport{ModeCode: customs.ModeAir, BorderTransportMeansID: flight, BorderPost: "KZALA"}
	}
	wheat := func(t, usdPerT int64) customs.Item {
		return demoItem("Milling wheat, class 3, 12.5% protein", "100199", "KZ", t, "TNE", t*1000, t*1000+t*2, t*usdPerT*100)
	}
	return []demoDeclaration{
		{declarant: "Kazakh Grain Export", outcome: leaveReleased, docs: phyto, content: customs.Content{FunctionalReferenceID: "DEMO-KGE-0101",
			Procedure: customs.Export, Exporter: kge, Importer: cofco, TradeTermsConditionCode: "FCA",
			Transport: rail("KZHOR", "KZH 2201", "MSKU907032", "TGHU884213"), Items: []customs.Item{wheat(54, 255)}}},
		{declarant: "Kazakh Grain Export", outcome: leaveReleased, docs: phyto, content: customs.Content{FunctionalReferenceID: "DEMO-KGE-0102",
			Procedure: customs.Export, Exporter: kge, Importer: cofco, TradeTermsConditionCode: "FCA",
			Transport: rail("KZDOS", "DST 4410", "CSQU305438", "TCNU718820", "GESU641170"), Items: []customs.Item{wheat(81, 250)}}},
		{declarant: "Kazakh Grain Export", outcome: leavePreLodged, docs: phyto, content: customs.Content{FunctionalReferenceID: "DEMO-KGE-0103",
			Procedure: customs.Export, Exporter: kge, Importer: cofco, TradeTermsConditionCode: "FCA", ArrivalExpectedAt: now.Add(48 * time.Hour).Truncate(time.Hour),
			Transport: rail("KZDOS", "DST 4416", "MSKU907112", "TGHU884305"),
			Items:     []customs.Item{demoItem("Malting barley", "100390", "KZ", 52, "TNE", 52_000, 52_100, 52*210*100)}}},
		{declarant: "Kazakh Grain Export", outcome: leaveDraft, docs: inv, content: customs.Content{FunctionalReferenceID: "DEMO-KGE-0104",
			Procedure: customs.Export, Exporter: kge, Importer: cofco, TradeTermsConditionCode: "FCA",
			Transport: rail("KZHOR", "KZH 2207", "CSQU305501"), Items: []customs.Item{wheat(27, 255)}}},
		{declarant: "Shenzhen Smart Devices", outcome: leaveReleased, docs: inv, content: customs.Content{FunctionalReferenceID: "DEMO-SZD-0042",
			Procedure: customs.Import, Exporter: customs.Party{Name: "Shenzhen Smart Devices", CountryCode: "CN"}, Importer: almatyElectronics,
			Carrier: kgl, TradeTermsConditionCode: "CPT", Transport: road("KZ 123 ABC 02", "CSQU305438"),
			Items: []customs.Item{demoItem("Smartphones, 5G, 128 GB", "851713", "CN", 1000, "NAR", 200, 260, 1000*150_00)}}},
		{declarant: "Shenzhen Smart Devices", outcome: leaveRed, docs: inv, reason: "Declared value far below the reference price: physical inspection and valuation check",
			content: customs.Content{FunctionalReferenceID: "DEMO-SZD-0043",
				Procedure: customs.Import, Exporter: customs.Party{Name: "Shenzhen Smart Devices", CountryCode: "CN"}, Importer: almatyElectronics,
				Carrier: kgl, TradeTermsConditionCode: "CPT", Transport: road("KZ 456 KLM 02", "TGHU884213"),
				Items: []customs.Item{demoItem("Smartphones, 4G, 64 GB", "851713", "CN", 2000, "NAR", 400, 520, 2000*40_00)}}},
		{declarant: "Cerrado Agro Exportadora", outcome: leaveHeld, docs: vet, reason: "Veterinary certificate under verification with the exporting country's authority",
			content: customs.Content{FunctionalReferenceID: "DEMO-CAE-0007",
				Procedure: customs.Import, Exporter: customs.Party{Name: "Cerrado Agro Exportadora", CountryCode: "BR"}, Importer: astanaFoods,
				TradeTermsConditionCode: "CIP", Transport: air("KC 9402"),
				Items: []customs.Item{demoItem("Beef, boneless, chilled", "020130", "BR", 20_000, "KGM", 20_000, 21_500, 140_000_00)}}},
		{declarant: "Khorgos Gateway Logistics", outcome: leaveReleased, docs: phyto, content: customs.Content{FunctionalReferenceID: "DEMO-KGL-0301",
			Procedure: customs.Import, Exporter: customs.Party{Name: "Sidamo Coffee Union", CountryCode: "ET"}, Importer: customs.Party{Name: "Almaty Coffee Roasters", CountryCode: "KZ"},
			Declarant: kgl, TradeTermsConditionCode: "CIP", Transport: air("ET 8812"),
			Items: []customs.Item{demoItem("Coffee, not roasted, not decaffeinated (Sidamo grade 2)", "090111", "ET", 9_600, "KGM", 9_600, 9_900, 57_600_00)}}},
		{declarant: "Gulf Dates Trading", outcome: leaveYellow, docs: phyto, reason: "Verify the certificate of origin against the invoice",
			content: customs.Content{FunctionalReferenceID: "DEMO-GDT-0015",
				Procedure: customs.Import, Exporter: customs.Party{Name: "Gulf Dates Trading", CountryCode: "AE"}, Importer: astanaFoods,
				TradeTermsConditionCode: "CPT", Transport: air("FZ 1721"),
				Items: []customs.Item{demoItem("Dates, Medjool, fresh", "080410", "AE", 4_000, "KGM", 4_000, 4_400, 28_000_00)}}},
		{declarant: "Khorgos Gateway Logistics", outcome: leaveReleased, docs: nil, content: customs.Content{FunctionalReferenceID: "DEMO-KGL-0302",
			Procedure: customs.Transit, Exporter: customs.Party{Name: "Chongqing Auto Parts", CountryCode: "CN"}, Importer: customs.Party{Name: "Duisburg Logistik", CountryCode: "DE"},
			Declarant: kgl, Carrier: customs.Party{Name: "Trans-Eurasia Rail Freight", CountryCode: "RU"},
			Transport: rail("KZDOS", "CRE 70312", "MSKU907205", "TGHU884390", "TCNU718912", "GESU641255"),
			Items:     []customs.Item{demoItem("Parts and accessories of motor vehicles", "870899", "CN", 4_800, "NAR", 38_000, 41_000, 410_000_00)}}},
		{declarant: "Khorgos Gateway Logistics", outcome: leaveAwaitPay, docs: inv, content: customs.Content{FunctionalReferenceID: "DEMO-KGL-0303",
			Procedure: customs.Import, Exporter: customs.Party{Name: "Baotou Steel Trading", CountryCode: "CN"}, Importer: customs.Party{Name: "Karaganda Metal Works", CountryCode: "KZ"},
			Declarant: kgl, TradeTermsConditionCode: "FCA", Transport: rail("KZDOS", "DST 4420", "CSQU305620", "MSKU907340"),
			Items: []customs.Item{demoItem("Flat-rolled steel, hot-rolled, 4.75–10 mm", "720851", "CN", 120, "TNE", 120_000, 120_400, 120*780*100)}}},
		{declarant: "Khorasan Saffron", outcome: leaveYellow, docs: phyto, reason: "Saffron: check the laboratory grade certificate against the declared quality",
			content: customs.Content{FunctionalReferenceID: "DEMO-KHS-0009",
				Procedure: customs.Import, Exporter: customs.Party{Name: "Khorasan Saffron", CountryCode: "IR"}, Importer: astanaFoods,
				TradeTermsConditionCode: "CIP", Transport: air("IR 7741"),
				Items: []customs.Item{demoItem("Saffron, dried stigmas, grade I", "091020", "IR", 12, "KGM", 12, 14, 42_000_00)}}},
		{declarant: "Khorgos Gateway Logistics", outcome: leaveRefunded, docs: inv, reason: "Verify the tyre load index against the type-approval certificate",
			content: customs.Content{FunctionalReferenceID: "DEMO-KGL-0307",
				Procedure: customs.Import, Exporter: customs.Party{Name: "Qingdao Tyre Export", CountryCode: "CN"}, Importer: customs.Party{Name: "Almaty Bus Fleet", CountryCode: "KZ"},
				Declarant: kgl, TradeTermsConditionCode: "FCA", Transport: road("KZ 512 TYR 05", "TGHU884120"),
				Items: []customs.Item{demoItem("New pneumatic tyres for buses, radial", "401120", "CN", 160, "NAR", 9_600, 10_100, 38_400_00)}}},
		{declarant: "Khorgos Gateway Logistics", outcome: leaveRefused, docs: inv, reason: "Goods are knitted, not woven: misclassified under chapter 62",
			content: customs.Content{FunctionalReferenceID: "DEMO-KGL-0304",
				Procedure: customs.Import, Exporter: customs.Party{Name: "Gujarat Textile Mills", CountryCode: "IN"}, Importer: customs.Party{Name: "Shymkent Apparel", CountryCode: "KZ"},
				Declarant: kgl, TradeTermsConditionCode: "CPT", Transport: road("KZ 777 TXT 13", "TCNU719010"),
				Items: []customs.Item{demoItem("Men's shirts of cotton, woven", "620520", "IN", 6_000, "NAR", 1_800, 2_100, 27_000_00)}}},
		{declarant: "Khorgos Gateway Logistics", outcome: leaveReleased, docs: phyto, content: customs.Content{FunctionalReferenceID: "DEMO-KGL-0305",
			Procedure: customs.Import, Exporter: customs.Party{Name: "Cape Fruit Exporters", CountryCode: "ZA"}, Importer: astanaFoods,
			Declarant: kgl, TradeTermsConditionCode: "CIP", Transport: air("ET 8814"),
			Items: []customs.Item{demoItem("Oranges, fresh (Valencia)", "080510", "ZA", 18_000, "KGM", 18_000, 19_800, 17_000_00)}}},
		{declarant: "Khorgos Gateway Logistics", outcome: leavePreLodged, docs: phyto, content: customs.Content{FunctionalReferenceID: "DEMO-KGL-0306",
			Procedure: customs.Import, Exporter: customs.Party{Name: "Nile Cotton Company", CountryCode: "EG"}, Importer: customs.Party{Name: "Turkestan Spinning", CountryCode: "KZ"},
			Declarant: kgl, TradeTermsConditionCode: "CFR", ArrivalExpectedAt: now.Add(72 * time.Hour).Truncate(time.Hour),
			Transport: customs.Transport{ModeCode: customs.ModeSea, BorderTransportMeansID: "MV CASPIAN TRADER", TransportEquipmentIDs: []string{containerNo("MSKU907418")}, BorderPost: "KZAAU"},
			Items:     []customs.Item{demoItem("Cotton, not carded or combed (Giza 86)", "520100", "EG", 22, "TNE", 22_000, 22_300, 22*2_300*100)}}},
	}
}

// demoPDF is a minimal, valid PDF standing in for the scanned papers.
func demoPDF(title string) []byte {
	return []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% " + title + "\ntrailer<</Root 1 0 R>>\n%%EOF\n")
}

// SeedCustoms opens the customs authority's KZT revenue account, makes the
// grain exporter an authorised economic operator and lodges the demo
// declarations (see demoDeclarations). Duties are paid from the declarant's
// KZT operating account when SeedFinance has funded one, and otherwise drawn
// from a bank guarantee the declarant holds (SeedGuarantees), when gs is
// given. It is idempotent.
func SeedCustoms(ctx context.Context, ids *identity.Service, led *ledger.Service, cust *customs.Service, gs *guarantee.Service, now time.Time) error {
	orgs := map[string]identity.Org{}
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	for _, o := range list {
		orgs[o.Name] = o
	}
	authority, ok := orgs["Khorgos Customs Post"]
	quarantine, ok2 := orgs["Khorgos Veterinary and Phytosanitary Inspection"]
	if !ok || !ok2 {
		return fmt.Errorf("demo: run Seed first")
	}
	if err := revenueAccount(ctx, led, authority, now); err != nil {
		return err
	}

	officer, err := demoPrincipal(ctx, ids, authority, identity.CustomsOfficer)
	if err != nil {
		return err
	}
	inspector, err := demoPrincipal(ctx, ids, quarantine, identity.QuarantineOfficer)
	if err != nil {
		return err
	}
	traders := map[string]*identity.Principal{}
	existing := map[string]bool{}
	for _, d := range demoDeclarations(now) {
		if traders[d.declarant] != nil {
			continue
		}
		org, ok := orgs[d.declarant]
		if !ok {
			return fmt.Errorf("demo: no organisation %q", d.declarant)
		}
		p, err := demoPrincipal(ctx, ids, org, identity.Trader)
		if err != nil {
			return err
		}
		traders[d.declarant] = p
		after := ""
		for {
			page, err := cust.List(ctx, p, customs.Query{After: after, Limit: customs.MaxListLimit})
			if err != nil {
				return err
			}
			for _, s := range page {
				if strings.HasPrefix(s.FunctionalReferenceID, "DEMO-") {
					existing[d.declarant+"/"+s.FunctionalReferenceID] = true
				}
			}
			if len(page) < customs.MaxListLimit {
				break
			}
			after = page[len(page)-1].ID
		}
	}
	if len(existing) == 0 {
		// First seeding: the grain exporter is a trusted trader.
		if aeo, ok := orgs[customsAEO]; ok {
			if _, err := cust.SetTrustedTrader(ctx, officer, aeo.ID, true, "demo town: AEO certificate KZ-AEO-2025-0117"); err != nil {
				return fmt.Errorf("demo: AEO: %w", err)
			}
		}
	}
	for _, spec := range demoDeclarations(now) {
		if existing[spec.declarant+"/"+spec.content.FunctionalReferenceID] {
			continue
		}
		if err := seedDeclaration(ctx, led, cust, gs, traders[spec.declarant], officer, inspector, spec); err != nil {
			return fmt.Errorf("demo: declaration %s: %w", spec.content.FunctionalReferenceID, err)
		}
	}
	return nil
}

// demoPrincipal acts as the org's first user holding role, or its first
// user (the demo's logistics operator lodges as a customs broker, which is a
// trader's role its dispatcher does not hold).
func demoPrincipal(ctx context.Context, ids *identity.Service, org identity.Org, role identity.Role) (*identity.Principal, error) {
	users, err := ids.OrgUsers(ctx, org.ID, identity.Page{Limit: 10})
	if err != nil {
		return nil, err
	}
	user := "system"
	for i, u := range users {
		if i == 0 || slices.Contains(u.Roles, role) {
			user = u.ID
		}
		if slices.Contains(u.Roles, role) {
			break
		}
	}
	return &identity.Principal{UserID: user, OrgID: org.ID, OrgKind: org.Kind, Roles: []identity.Role{role}, Via: "session"}, nil
}

func seedDeclaration(ctx context.Context, led *ledger.Service, cust *customs.Service, gs *guarantee.Service, trader, officer, inspector *identity.Principal, spec demoDeclaration) error {
	d, err := cust.Create(ctx, trader, spec.content)
	if err != nil {
		return err
	}
	for i, k := range spec.docs {
		name := fmt.Sprintf("%s-%s.pdf", spec.content.FunctionalReferenceID, strings.ReplaceAll(string(k), "_", "-"))
		if _, err := cust.AttachDocument(ctx, trader, d.ID, customs.NewDocument{Kind: k, Reference: fmt.Sprintf("%s/%d", spec.content.FunctionalReferenceID, i+1),
			Filename: name, MediaType: "application/pdf", Content: demoPDF(name)}); err != nil {
			return err
		}
	}
	if spec.outcome == leaveDraft {
		return nil
	}
	if d, err = cust.Submit(ctx, trader, d.ID); err != nil {
		return err
	}
	if spec.outcome == leavePreLodged {
		return nil
	}
	lane := func(l customs.Lane, reason string) error {
		if d.Lane == l {
			return nil
		}
		d, err = cust.DecideChecks(ctx, officer, d.ID, l, reason)
		return err
	}
	switch spec.outcome {
	case leaveYellow:
		return lane(customs.LaneYellow, spec.reason)
	case leaveRed:
		return lane(customs.LaneRed, spec.reason)
	case leaveHeld:
		if d.SPS.Status != customs.SPSHeld {
			_, err = cust.HoldSPS(ctx, inspector, d.ID, spec.reason)
		}
		return err
	case leaveRefused:
		if err := lane(customs.LaneRed, spec.reason); err != nil {
			return err
		}
		_, err = cust.Refuse(ctx, officer, d.ID, spec.reason)
		return err
	case leaveAwaitPay:
		return lane(customs.LaneGreen, "Demo: documents in order")
	case leaveRefunded:
		if err := lane(customs.LaneYellow, spec.reason); err != nil {
			return err
		}
		from := demoID("account", spec.declarant, "KZT", "operating")
		if a, err := led.AccountByID(ctx, from); err != nil || a.OrgID != trader.OrgID || a.Available() < d.Assessment.TotalKZT || d.Assessment.TotalKZT == 0 {
			return err // no funded account: it stays under the check
		}
		if d, err = cust.Pay(ctx, trader, d.ID, from.String()); err != nil {
			return err
		}
		// The cancellation pays the duties back at once (customs.Cancel).
		_, err = cust.Cancel(ctx, trader, d.ID, "The buyer cancelled the order; the tyres go back to the supplier")
		return err
	}
	// Released: clear the lane and quarantine, then pay.
	if d.Lane != customs.LaneGreen && d.Lane != customs.LaneBlue {
		if err := lane(customs.LaneGreen, "Documents verified: no discrepancies"); err != nil {
			return err
		}
	}
	if d.SPS.Status == customs.SPSAwaitingInspection {
		if d, err = cust.RecordInspection(ctx, inspector, d.ID, customs.InspectionInput{Result: customs.InspectionPass, Notes: "Visual inspection: no pests or disease found"}); err != nil {
			return err
		}
	}
	if d.Status == customs.StatusReleased {
		return nil
	}
	due := d.Assessment.TotalKZT
	from := demoID("account", spec.declarant, "KZT", "operating")
	if a, err := led.AccountByID(ctx, from); err == nil && a.OrgID == trader.OrgID && a.Available() >= due && due > 0 {
		d, err = cust.Pay(ctx, trader, d.ID, from.String())
		return err
	}
	// Otherwise the duties are drawn from a guarantee the declarant holds
	// (see SeedGuarantees); without one they stay due.
	if gs == nil || due == 0 {
		return nil
	}
	held, err := gs.List(ctx, trader, "", 200)
	if err != nil {
		return err
	}
	for _, g := range held {
		if g.PrincipalOrg == trader.OrgID && g.Status == guarantee.Active && g.RemainingKZT >= due {
			_, err = cust.ProvideGuarantee(ctx, trader, d.ID, g.ID)
			return err
		}
	}
	return nil
}

// revenueAccount opens the customs authority's KZT revenue account (a
// system account, as in serve).
func revenueAccount(ctx context.Context, led *ledger.Service, authority identity.Org, _ time.Time) error {
	pay := dutyledger.Payments{Ledger: led, Authority: func(context.Context) (string, error) { return authority.ID, nil }}
	if _, err := pay.Revenue(ctx); err != nil {
		return fmt.Errorf("demo: customs revenue account: %w", err)
	}
	return nil
}
