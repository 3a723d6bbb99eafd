package einvoice

// ubl writes a UBL 2.1 Invoice, or a CreditNote for a credit note,
// children in the order of the UBL 2.1 schema.
func (f *facts) ubl() []byte {
	root, typeCode, lineName, qtyName := "Invoice", "cbc:InvoiceTypeCode", "cac:InvoiceLine", "cbc:InvoicedQuantity"
	ns := "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	if f.credit {
		root, typeCode, lineName, qtyName = "CreditNote", "cbc:CreditNoteTypeCode", "cac:CreditNoteLine", "cbc:CreditedQuantity"
		ns = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	}
	d, cur := f.d, f.d.Currency
	amt := func(name, v string) *node { return tx(name, v, "currencyID", cur) }
	doc := el(root,
		tx("cbc:CustomizationID", f.spec),
		tx("cbc:ProfileID", f.process),
		tx("cbc:ID", d.Number),
		tx("cbc:IssueDate", d.IssueDate.String()),
	)
	if !f.credit && d.DueDate != nil {
		doc.kids = append(doc.kids, tx("cbc:DueDate", d.DueDate.String()))
	}
	code := "380"
	if f.credit {
		code = "381"
	}
	doc.kids = append(doc.kids, tx(typeCode, code))
	for _, n := range f.notes {
		doc.kids = append(doc.kids, tx("cbc:Note", n))
	}
	doc.kids = append(doc.kids, tx("cbc:DocumentCurrencyCode", cur), tx("cbc:BuyerReference", f.buyerRef))
	if p := f.period(); p != nil {
		doc.kids = append(doc.kids, el("cac:InvoicePeriod", tx("cbc:StartDate", p[0]), tx("cbc:EndDate", p[1])))
	}
	doc.kids = append(doc.kids, el("cac:OrderReference", tx("cbc:ID", f.orderRef)))
	if d.Credits != nil {
		doc.kids = append(doc.kids, el("cac:BillingReference", el("cac:InvoiceDocumentReference",
			tx("cbc:ID", d.Credits.Number), tx("cbc:IssueDate", d.Credits.IssueDate.String()))))
	}
	doc.kids = append(doc.kids,
		el("cac:AccountingSupplierParty", f.ublParty(f.seller, true)),
		el("cac:AccountingCustomerParty", f.ublParty(f.buyer, false)))
	if f.means != "" {
		var account *node
		if f.means == "58" {
			account = el("cac:PayeeFinancialAccount", tx("cbc:ID", d.Seller.IBAN),
				el("cac:FinancialInstitutionBranch", tx("cbc:ID", d.Seller.BIC)))
		}
		doc.kids = append(doc.kids, el("cac:PaymentMeans", tx("cbc:PaymentMeansCode", f.means), tx("cbc:PaymentID", f.payRef), account))
	}
	doc.kids = append(doc.kids, el("cac:PaymentTerms", tx("cbc:Note", f.terms)))
	total := el("cac:TaxTotal", amt("cbc:TaxAmount", f.amount(d.Totals.TaxMinor)))
	for _, t := range f.taxes {
		total.kids = append(total.kids, el("cac:TaxSubtotal", amt("cbc:TaxableAmount", t.base), amt("cbc:TaxAmount", t.tax),
			el("cac:TaxCategory", tx("cbc:ID", string(t.cat)), tx("cbc:Percent", t.rate), tx("cbc:TaxExemptionReasonCode", t.reasonCode),
				tx("cbc:TaxExemptionReason", t.reason), el("cac:TaxScheme", tx("cbc:ID", "VAT")))))
	}
	net, gross := f.amount(d.Totals.NetMinor), f.amount(d.Totals.TotalMinor)
	doc.kids = append(doc.kids, total, el("cac:LegalMonetaryTotal", amt("cbc:LineExtensionAmount", net), amt("cbc:TaxExclusiveAmount", net),
		amt("cbc:TaxInclusiveAmount", gross), amt("cbc:PayableAmount", gross)))
	for _, l := range f.lines {
		var period *node
		if l.start != "" || l.stop != "" {
			period = el("cac:InvoicePeriod", tx("cbc:StartDate", l.start), tx("cbc:EndDate", l.stop))
		}
		doc.kids = append(doc.kids, el(lineName,
			tx("cbc:ID", l.id),
			tx("cbc:Note", l.note),
			tx(qtyName, l.qty, "unitCode", l.unit),
			amt("cbc:LineExtensionAmount", l.net),
			period,
			el("cac:Item", tx("cbc:Name", l.name),
				el("cac:ClassifiedTaxCategory", tx("cbc:ID", string(l.cat)), tx("cbc:Percent", l.rate), el("cac:TaxScheme", tx("cbc:ID", "VAT")))),
			el("cac:Price", amt("cbc:PriceAmount", l.price))))
	}
	doc.with("xmlns", ns,
		"xmlns:cac", "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
		"xmlns:cbc", "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2")
	return render(doc)
}

// unitCodes are the UN/ECE Rec. 20 codes of the units lines count in;
// any other (and none) is "one" (C62): hosting is sold by the piece.
var unitCodes = map[string]string{"GB": "E34", "MB": "4L", "kB": "2P", "bytes": "AD", "B": "AD"}

// unitCode is the Rec. 20 code of a line's unit.
func unitCode(unit string) string {
	if c, ok := unitCodes[unit]; ok {
		return c
	}
	return "C62"
}

// period is the document's service period (BG-14), if it has one: the
// document's own, widened to take in every line's (a line period outside
// the invoice period breaks PEPPOL-EN16931-R110/R111). Dates in ISO form
// compare as strings.
func (f *facts) period() *[2]string {
	var p [2]string
	if f.d.PeriodStart != nil {
		p[0] = f.d.PeriodStart.String()
	}
	if f.d.PeriodEnd != nil {
		p[1] = f.d.PeriodEnd.String()
	}
	if p[0] == "" && p[1] == "" {
		return nil
	}
	for _, l := range f.lines {
		if l.start != "" && p[0] != "" && l.start < p[0] {
			p[0] = l.start
		}
		if l.stop != "" && p[1] != "" && l.stop > p[1] {
			p[1] = l.stop
		}
	}
	return &p
}

// ublParty writes a seller's or buyer's Party.
func (f *facts) ublParty(p party, seller bool) *node {
	var taxSchemes []*node
	if p.vatID != "" {
		taxSchemes = append(taxSchemes, el("cac:PartyTaxScheme", tx("cbc:CompanyID", p.vatID), el("cac:TaxScheme", tx("cbc:ID", "VAT"))))
	}
	if seller && p.TaxNumber != "" {
		taxSchemes = append(taxSchemes, el("cac:PartyTaxScheme", tx("cbc:CompanyID", p.TaxNumber), el("cac:TaxScheme", tx("cbc:ID", "FC"))))
	}
	var ident *node
	if p.sellerID != "" {
		ident = el("cac:PartyIdentification", tx("cbc:ID", p.sellerID, "schemeID", p.sellerScheme))
	}
	var contact *node
	if seller {
		contact = el("cac:Contact", tx("cbc:Name", p.Name), tx("cbc:Telephone", p.Phone), tx("cbc:ElectronicMail", p.Email))
	}
	n := el("cac:Party",
		tx("cbc:EndpointID", p.endpointID, "schemeID", p.endpointScheme),
		ident,
		el("cac:PostalAddress", tx("cbc:StreetName", p.Address1), tx("cbc:AdditionalStreetName", p.Address2), tx("cbc:CityName", p.City),
			tx("cbc:PostalZone", p.PostalCode), tx("cbc:CountrySubentity", p.Region), el("cac:Country", tx("cbc:IdentificationCode", p.Country))),
	)
	n.kids = append(n.kids, taxSchemes...)
	n.kids = append(n.kids, el("cac:PartyLegalEntity", tx("cbc:RegistrationName", p.Name), tx("cbc:CompanyID", p.legalID, "schemeID", p.legalScheme)))
	if contact != nil && !contact.empty() {
		n.kids = append(n.kids, contact)
	}
	return n
}
