package demo

import (
	"context"
	"fmt"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/market"
)

// demoProduct is one signature product of a demo company, in its own
// currency, with its name in the five languages.
type demoProduct struct {
	Seller                     string
	EN, RU, ZH, KK, PT         string
	DescEN                     string
	HS, Origin, Unit, Currency string
	MOQ, Stock                 int64
	Tiers                      []market.NewTier
	Incoterms                  []string
}

// demoProducts are the members' signature goods (prices are plausible
// wholesale prices of 2025–26, marked assumed: no exchange quotes them).
// India's pharmaceuticals are left out because the demo town has no
// Indian pharmaceutical company yet.
var demoProducts = []demoProduct{
	{Seller: "Cerrado Agro Exportadora", EN: "Green arabica coffee, Cerrado Mineiro, screen 17/18", RU: "Зелёный кофе арабика, Серрадо-Минейро, скрин 17/18",
		ZH: "巴西塞拉多阿拉比卡生咖啡豆 17/18目", KK: "Жасыл арабика кофесі, Серрадо-Минейро, 17/18 елек", PT: "Café arábica verde, Cerrado Mineiro, peneira 17/18",
		DescEN: "Natural process, 60 kg jute bags, crop 2025/26.", HS: "090111", Origin: "BR", Unit: "kg", Currency: "BRL", MOQ: 1200, Stock: 180000,
		Tiers: []market.NewTier{{MinQty: 1200, UnitPrice: "31.80"}, {MinQty: 19200, UnitPrice: "29.90"}}, Incoterms: []string{"FOB", "CFR", "CIF"}},
	{Seller: "Cerrado Agro Exportadora", EN: "Soybeans, non-GMO, Mato Grosso", RU: "Соевые бобы без ГМО, Мату-Гросу", ZH: "非转基因大豆（马托格罗索州）",
		KK: "ГМО-сыз соя бұршағы, Мату-Гросу", PT: "Soja em grão não transgênica, Mato Grosso",
		DescEN: "Protein min. 36%, moisture max. 14%, bulk or 50 kg bags.", HS: "120190", Origin: "BR", Unit: "t", Currency: "BRL", MOQ: 500, Stock: 60000,
		Tiers: []market.NewTier{{MinQty: 500, UnitPrice: "2410"}, {MinQty: 5000, UnitPrice: "2350"}}, Incoterms: []string{"FOB", "CFR"}},
	{Seller: "Cerrado Agro Exportadora", EN: "Frozen boneless beef, forequarter cuts", RU: "Говядина замороженная бескостная, передняя четвертина",
		ZH: "冷冻去骨牛肉（前四分体分割）", KK: "Мұздатылған сүйексіз сиыр еті, алдыңғы ширек", PT: "Carne bovina desossada congelada, dianteiro",
		DescEN: "Halal certified, 27 t per reefer container.", HS: "020230", Origin: "BR", Unit: "kg", Currency: "BRL", MOQ: 27000, Stock: 270000,
		Tiers: []market.NewTier{{MinQty: 27000, UnitPrice: "32.50"}}, Incoterms: []string{"CFR", "CIF"}},
	{Seller: "Siberian Energy Trading", EN: "Urea fertiliser, granular, 46% N", RU: "Карбамид гранулированный, 46% N", ZH: "颗粒尿素化肥，含氮46%",
		KK: "Түйіршікті карбамид тыңайтқышы, 46% N", PT: "Fertilizante ureia granulada, 46% N",
		DescEN: "Bulk or 1 t big bags, rail from Novomoskovsk.", HS: "310210", Origin: "RU", Unit: "t", Currency: "RUB", MOQ: 1000, Stock: 40000,
		Tiers: []market.NewTier{{MinQty: 1000, UnitPrice: "32400"}, {MinQty: 10000, UnitPrice: "31100"}}, Incoterms: []string{"FCA", "CPT", "DAP"}},
	{Seller: "Siberian Energy Trading", EN: "Milling wheat, class 4, protein 12.5%", RU: "Пшеница продовольственная, 4 класс, протеин 12,5%",
		ZH: "俄罗斯四级制粉小麦，蛋白质12.5%", KK: "Азық-түліктік бидай, 4-сынып, ақуыз 12,5%", PT: "Trigo para moagem, classe 4, proteína 12,5%",
		DescEN: "Altai crop 2025, hopper wagons.", HS: "100199", Origin: "RU", Unit: "t", Currency: "RUB", MOQ: 500, Stock: 25000,
		Tiers: []market.NewTier{{MinQty: 500, UnitPrice: "17600"}}, Incoterms: []string{"FCA", "CPT"}},
	{Seller: "Shenzhen Smart Devices", EN: "Android smartphone 6.7\", 256 GB, dual SIM", RU: "Смартфон Android 6,7\", 256 ГБ, две SIM-карты",
		ZH: "安卓智能手机 6.7英寸 256GB 双卡", KK: "Android смартфоны 6,7\", 256 ГБ, екі SIM-карта", PT: "Smartphone Android 6,7\", 256 GB, dual chip",
		DescEN: "Kazakh and Russian keyboard, EAC certified.", HS: "851713", Origin: "CN", Unit: "pcs", Currency: "CNY", MOQ: 200, Stock: 15000,
		Tiers: []market.NewTier{{MinQty: 200, UnitPrice: "1150"}, {MinQty: 2000, UnitPrice: "1085"}}, Incoterms: []string{"EXW", "FCA", "DAP"}},
	{Seller: "Shenzhen Smart Devices", EN: "Lithium iron phosphate battery pack 51.2 V 100 Ah", RU: "Литий-железо-фосфатная аккумуляторная батарея 51,2 В 100 А·ч",
		ZH: "磷酸铁锂电池组 51.2V 100Ah", KK: "Литий-темір-фосфат аккумулятор батареясы 51,2 В 100 А·сағ", PT: "Bateria de fosfato de ferro-lítio 51,2 V 100 Ah",
		DescEN: "For solar storage, 6000 cycles, UN38.3.", HS: "850760", Origin: "CN", Unit: "pcs", Currency: "CNY", MOQ: 20, Stock: 3000,
		Tiers: []market.NewTier{{MinQty: 20, UnitPrice: "3780"}, {MinQty: 200, UnitPrice: "3520"}}, Incoterms: []string{"FCA", "CPT", "DAP"}},
	{Seller: "Shenzhen Smart Devices", EN: "Crawler excavator 22 t, 1.0 m³ bucket", RU: "Гусеничный экскаватор 22 т, ковш 1,0 м³", ZH: "履带式挖掘机 22吨 1.0立方米铲斗",
		KK: "Шынжыр табанды экскаватор 22 т, шөміші 1,0 м³", PT: "Escavadeira de esteiras 22 t, caçamba 1,0 m³",
		DescEN: "Stage IIIA engine, cold-climate kit to −40 °C.", HS: "842952", Origin: "CN", Unit: "pcs", Currency: "CNY", MOQ: 1, Stock: 14,
		Tiers: []market.NewTier{{MinQty: 1, UnitPrice: "612000"}, {MinQty: 5, UnitPrice: "598000"}}, Incoterms: []string{"FCA", "CIP", "DAP"}},
	{Seller: "Kazakh Grain Export", EN: "Kazakh hard wheat, class 3, protein 13.5%", RU: "Казахстанская твёрдая пшеница, 3 класс, протеин 13,5%",
		ZH: "哈萨克斯坦硬质小麦，三级，蛋白质13.5%", KK: "Қазақстанның қатты бидайы, 3-сынып, ақуыз 13,5%", PT: "Trigo duro do Cazaquistão, classe 3, proteína 13,5%",
		DescEN: "Kostanay region, crop 2025, loaded at Khorgos dry port.", HS: "100199", Origin: "KZ", Unit: "t", Currency: "KZT", MOQ: 300, Stock: 90000,
		Tiers: []market.NewTier{{MinQty: 300, UnitPrice: "118000"}, {MinQty: 3000, UnitPrice: "114500"}}, Incoterms: []string{"FCA", "CPT", "DAP"}},
	{Seller: "Kazakh Grain Export", EN: "Flaxseed, oil grade", RU: "Семена льна масличного", ZH: "油用亚麻籽", KK: "Майлы зығыр тұқымы", PT: "Semente de linhaça para óleo",
		DescEN: "Oil content min. 44%, admixture max. 2%.", HS: "120400", Origin: "KZ", Unit: "t", Currency: "KZT", MOQ: 100, Stock: 12000,
		Tiers: []market.NewTier{{MinQty: 100, UnitPrice: "262000"}}, Incoterms: []string{"FCA", "DAP"}},
	{Seller: "Kazakh Grain Export", EN: "Copper cathodes, grade A, 99.99% Cu", RU: "Медные катоды марки А, 99,99% Cu", ZH: "A级阴极铜 99.99%",
		KK: "А маркалы мыс катодтары, 99,99% Cu", PT: "Catodos de cobre grau A, 99,99% Cu",
		DescEN: "LME-registered brand, bundles of about 2.5 t.", HS: "740311", Origin: "KZ", Unit: "t", Currency: "KZT", MOQ: 25, Stock: 2000,
		Tiers: []market.NewTier{{MinQty: 25, UnitPrice: "4650000"}}, Incoterms: []string{"FCA", "CPT"}},
	{Seller: "Kazakh Grain Export", EN: "High-carbon ferrochrome, Cr 65%", RU: "Феррохром высокоуглеродистый, Cr 65%", ZH: "高碳铬铁，含铬65%",
		KK: "Жоғары көміртекті феррохром, Cr 65%", PT: "Ferrocromo alto carbono, Cr 65%",
		DescEN: "Lumps 10–100 mm, big bags.", HS: "720241", Origin: "KZ", Unit: "t", Currency: "KZT", MOQ: 50, Stock: 8000,
		Tiers: []market.NewTier{{MinQty: 50, UnitPrice: "785000"}}, Incoterms: []string{"FCA", "CPT", "DAP"}},
	{Seller: "Gujarat Textile Mills", EN: "Combed cotton yarn Ne 40/1, compact", RU: "Пряжа хлопковая гребенная Ne 40/1, компактная", ZH: "精梳紧密纺棉纱 40支",
		KK: "Таралған мақта иірімжібі Ne 40/1, компакт", PT: "Fio de algodão penteado Ne 40/1, compacto",
		DescEN: "Shankar-6 cotton, cones of 1.89 kg, for knitting.", HS: "520512", Origin: "IN", Unit: "kg", Currency: "INR", MOQ: 2000, Stock: 150000,
		Tiers: []market.NewTier{{MinQty: 2000, UnitPrice: "265"}, {MinQty: 20000, UnitPrice: "252.50"}}, Incoterms: []string{"FOB", "CIF"}},
	{Seller: "Gujarat Textile Mills", EN: "Cotton bed linen set, percale, 200 thread count", RU: "Комплект постельного белья из хлопка, перкаль", ZH: "纯棉床上用品套件（精梳棉布）",
		KK: "Мақта төсек-орын жиынтығы, перкаль", PT: "Jogo de cama de algodão percal, 200 fios",
		DescEN: "Double size, duvet cover, sheet and two pillowcases.", HS: "630231", Origin: "IN", Unit: "set", Currency: "INR", MOQ: 500, Stock: 20000,
		Tiers: []market.NewTier{{MinQty: 500, UnitPrice: "1450"}, {MinQty: 5000, UnitPrice: "1320"}}, Incoterms: []string{"FOB", "CIF", "DAP"}},
}

// SeedMarket publishes the demo companies' signature products through the
// catalogue's service, gives Kazakh Grain Export a contract price for the
// excavator, and makes Cerrado's buyer group of its EAEU wholesale
// partners (Kazakh Grain Export, Siberian Energy Trading) with a group
// price for soybeans. It is idempotent: a seller that has products gets
// none.
func SeedMarket(ctx context.Context, ids *identity.Service, m *market.Service, now time.Time) error {
	list, err := ids.Orgs(ctx, identity.Page{Limit: 1000})
	if err != nil {
		return err
	}
	orgs := map[string]identity.Org{}
	for _, o := range list {
		orgs[o.Name] = o
	}
	seller := func(name string) (*identity.Principal, error) {
		o, ok := orgs[name]
		if !ok {
			return nil, fmt.Errorf("demo: run Seed first (no %s)", name)
		}
		return &identity.Principal{UserID: "demo", OrgID: o.ID, OrgKind: o.Kind, Roles: []identity.Role{identity.Trader}}, nil
	}
	done := map[string]bool{}
	var excavator, soybeans string
	for _, d := range demoProducts {
		p, err := seller(d.Seller)
		if err != nil {
			return err
		}
		if _, checked := done[d.Seller]; !checked {
			mine, err := m.Mine(ctx, p, "", 1)
			if err != nil {
				return err
			}
			done[d.Seller] = len(mine) > 0
		}
		if done[d.Seller] {
			continue
		}
		prod, err := m.Publish(ctx, p, market.NewProduct{Names: map[string]string{"en": d.EN, "ru": d.RU, "zh": d.ZH, "kk": d.KK, "pt": d.PT},
			Descriptions: map[string]string{"en": d.DescEN}, HS: d.HS, Origin: d.Origin, Unit: d.Unit, MOQ: d.MOQ, Currency: d.Currency,
			Tiers: d.Tiers, Incoterms: d.Incoterms, Stock: d.Stock})
		if err != nil {
			return fmt.Errorf("demo: product %q: %w", d.EN, err)
		}
		switch d.HS {
		case "842952":
			excavator = prod.ID
		case "120190":
			soybeans = prod.ID
		}
		if c, ok := demoTiles[d.HS]; ok {
			if _, err := m.AddImage(ctx, p, prod.ID, productTile(c)); err != nil {
				return fmt.Errorf("demo: image of %q: %w", d.EN, err)
			}
		}
	}
	if excavator != "" {
		p, _ := seller("Shenzhen Smart Devices")
		from := now.UTC().AddDate(0, 0, -30)
		if _, err := m.SetContractPrice(ctx, p, excavator, market.NewContractPrice{BuyerOrg: orgs["Kazakh Grain Export"].ID, UnitPrice: "585000",
			ValidFrom: from.Format(time.DateOnly), ValidTo: from.AddDate(1, 0, 0).Format(time.DateOnly)}); err != nil {
			return fmt.Errorf("demo: contract price: %w", err)
		}
	}
	if soybeans != "" {
		if err := seedBuyerGroup(ctx, m, seller, orgs, soybeans, now); err != nil {
			return err
		}
	}
	return nil
}

// seedBuyerGroup gives Cerrado Agro Exportadora a buyer group of two
// wholesale partners and a group price for its soybeans (2 295.00 BRL a
// tonne instead of 2 410.00) for a year.
func seedBuyerGroup(ctx context.Context, m *market.Service, seller func(string) (*identity.Principal, error), orgs map[string]identity.Org,
	soybeans string, now time.Time) error {
	p, err := seller("Cerrado Agro Exportadora")
	if err != nil {
		return err
	}
	g, err := m.CreateBuyerGroup(ctx, p, market.NewBuyerGroup{Name: "Wholesale partners EAEU"})
	if err != nil {
		return fmt.Errorf("demo: buyer group: %w", err)
	}
	for _, b := range []string{"Kazakh Grain Export", "Siberian Energy Trading"} {
		if _, err := m.AddGroupMember(ctx, p, g.ID, market.NewGroupMember{BuyerOrg: orgs[b].ID}); err != nil {
			return fmt.Errorf("demo: buyer group member %s: %w", b, err)
		}
	}
	from := now.UTC().AddDate(0, 0, -14)
	if _, err := m.SetContractPrice(ctx, p, soybeans, market.NewContractPrice{BuyerGroup: g.ID, UnitPrice: "2295",
		ValidFrom: from.Format(time.DateOnly), ValidTo: from.AddDate(1, 0, 0).Format(time.DateOnly)}); err != nil {
		return fmt.Errorf("demo: group price: %w", err)
	}
	return nil
}
