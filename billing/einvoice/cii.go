package einvoice

import "strings"

// cii writes a UN/CEFACT Cross Industry Invoice D16B, children in the
// order of its schema (the XML of a Factur-X PDF at the EN 16931 profile).
func (f *facts) cii() []byte {
	d, cur := f.d, f.d.Currency
	code := "380"
	if f.credit {
		code = "381"
	}
	var process *node
	if f.process != "" {
		process = el("ram:BusinessProcessSpecifiedDocumentContextParameter", tx("ram:ID", f.process))
	}
	exchanged := el("rsm:ExchangedDocument", tx("ram:ID", d.Number), tx("ram:TypeCode", code),
		el("ram:IssueDateTime", day("udt:DateTimeString", d.IssueDate.String())))
	for _, n := range f.notes {
		exchanged.kids = append(exchanged.kids, el("ram:IncludedNote", tx("ram:Content", n)))
	}
	trade := el("rsm:SupplyChainTradeTransaction")
	for _, l := range f.lines {
		var period *node
		if l.start != "" || l.stop != "" {
			period = el("ram:BillingSpecifiedPeriod", el("ram:StartDateTime", day("udt:DateTimeString", l.start)),
				el("ram:EndDateTime", day("udt:DateTimeString", l.stop)))
		}
		var note *node
		if l.note != "" {
			note = el("ram:IncludedNote", tx("ram:Content", l.note))
		}
		trade.kids = append(trade.kids, el("ram:IncludedSupplyChainTradeLineItem",
			el("ram:AssociatedDocumentLineDocument", tx("ram:LineID", l.id), note),
			el("ram:SpecifiedTradeProduct", tx("ram:Name", l.name)),
			el("ram:SpecifiedLineTradeAgreement", el("ram:NetPriceProductTradePrice", tx("ram:ChargeAmount", l.price))),
			el("ram:SpecifiedLineTradeDelivery", tx("ram:BilledQuantity", l.qty, "unitCode", l.unit)),
			el("ram:SpecifiedLineTradeSettlement",
				el("ram:ApplicableTradeTax", tx("ram:TypeCode", "VAT"), tx("ram:CategoryCode", string(l.cat)), tx("ram:RateApplicablePercent", l.rate)),
				period,
				el("ram:SpecifiedTradeSettlementLineMonetarySummation", tx("ram:LineTotalAmount", l.net)))))
	}
	trade.kids = append(trade.kids, el("ram:ApplicableHeaderTradeAgreement",
		tx("ram:BuyerReference", f.buyerRef),
		f.ciiParty("ram:SellerTradeParty", f.seller, true),
		f.ciiParty("ram:BuyerTradeParty", f.buyer, false),
		el("ram:BuyerOrderReferencedDocument", tx("ram:IssuerAssignedID", f.orderRef))))
	trade.kids = append(trade.kids, required("ram:ApplicableHeaderTradeDelivery"))
	settle := el("ram:ApplicableHeaderTradeSettlement", tx("ram:PaymentReference", f.payRef), tx("ram:InvoiceCurrencyCode", cur))
	if f.means != "" {
		var account, bank *node
		if f.means == "58" {
			account = el("ram:PayeePartyCreditorFinancialAccount", tx("ram:IBANID", d.Seller.IBAN))
			bank = el("ram:PayeeSpecifiedCreditorFinancialInstitution", tx("ram:BICID", d.Seller.BIC))
		}
		settle.kids = append(settle.kids, el("ram:SpecifiedTradeSettlementPaymentMeans", tx("ram:TypeCode", f.means), account, bank))
	}
	for _, t := range f.taxes {
		settle.kids = append(settle.kids, el("ram:ApplicableTradeTax", tx("ram:CalculatedAmount", t.tax), tx("ram:TypeCode", "VAT"),
			tx("ram:ExemptionReason", t.reason), tx("ram:BasisAmount", t.base), tx("ram:CategoryCode", string(t.cat)),
			tx("ram:ExemptionReasonCode", t.reasonCode), tx("ram:RateApplicablePercent", t.rate)))
	}
	if p := f.period(); p != nil {
		settle.kids = append(settle.kids, el("ram:BillingSpecifiedPeriod", el("ram:StartDateTime", day("udt:DateTimeString", p[0])),
			el("ram:EndDateTime", day("udt:DateTimeString", p[1]))))
	}
	if !f.credit && (f.terms != "" || d.DueDate != nil) {
		var due *node
		if d.DueDate != nil {
			due = el("ram:DueDateDateTime", day("udt:DateTimeString", d.DueDate.String()))
		}
		settle.kids = append(settle.kids, el("ram:SpecifiedTradePaymentTerms", tx("ram:Description", f.terms), due))
	}
	net, gross := f.amount(d.Totals.NetMinor), f.amount(d.Totals.TotalMinor)
	settle.kids = append(settle.kids, el("ram:SpecifiedTradeSettlementHeaderMonetarySummation",
		tx("ram:LineTotalAmount", net), tx("ram:TaxBasisTotalAmount", net), tx("ram:TaxTotalAmount", f.amount(d.Totals.TaxMinor), "currencyID", cur),
		tx("ram:GrandTotalAmount", gross), tx("ram:DuePayableAmount", gross)))
	if d.Credits != nil {
		settle.kids = append(settle.kids, el("ram:InvoiceReferencedDocument", tx("ram:IssuerAssignedID", d.Credits.Number),
			el("ram:FormattedIssueDateTime", day("qdt:DateTimeString", d.Credits.IssueDate.String()))))
	}
	trade.kids = append(trade.kids, settle)
	doc := el("rsm:CrossIndustryInvoice",
		el("rsm:ExchangedDocumentContext", process, el("ram:GuidelineSpecifiedDocumentContextParameter", tx("ram:ID", f.spec))),
		exchanged, trade)
	doc.with("xmlns:rsm", "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
		"xmlns:qdt", "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
		"xmlns:ram", "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
		"xmlns:udt", "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100")
	return render(doc)
}

// day writes a date as CII's format 102 (CCYYMMDD).
func day(name, iso string) *node {
	if iso == "" {
		return nil
	}
	return tx(name, strings.ReplaceAll(iso, "-", ""), "format", "102")
}

// ciiParty writes a SellerTradeParty or BuyerTradeParty.
func (f *facts) ciiParty(name string, p party, seller bool) *node {
	var legal, contact *node
	if p.legalID != "" {
		legal = el("ram:SpecifiedLegalOrganization", tx("ram:ID", p.legalID, "schemeID", p.legalScheme))
	}
	if seller {
		var phone, mail *node
		if p.Phone != "" {
			phone = el("ram:TelephoneUniversalCommunication", tx("ram:CompleteNumber", p.Phone))
		}
		if p.Email != "" {
			mail = el("ram:EmailURIUniversalCommunication", tx("ram:URIID", p.Email))
		}
		contact = el("ram:DefinedTradeContact", tx("ram:PersonName", p.Name), phone, mail)
	}
	var uri *node
	if p.endpointID != "" {
		uri = el("ram:URIUniversalCommunication", tx("ram:URIID", p.endpointID, "schemeID", p.endpointScheme))
	}
	id, global := p.sellerID, ""
	if p.sellerScheme != "" {
		id, global = "", p.sellerID
	}
	n := el(name, tx("ram:ID", id), tx("ram:GlobalID", global, "schemeID", p.sellerScheme), tx("ram:Name", p.Name), legal, contact,
		el("ram:PostalTradeAddress", tx("ram:PostcodeCode", p.PostalCode), tx("ram:LineOne", p.Address1), tx("ram:LineTwo", p.Address2),
			tx("ram:CityName", p.City), tx("ram:CountryID", p.Country), tx("ram:CountrySubDivisionName", p.Region)),
		uri)
	if p.vatID != "" {
		n.kids = append(n.kids, el("ram:SpecifiedTaxRegistration", tx("ram:ID", p.vatID, "schemeID", "VA")))
	}
	if seller && p.TaxNumber != "" {
		n.kids = append(n.kids, el("ram:SpecifiedTaxRegistration", tx("ram:ID", p.TaxNumber, "schemeID", "FC")))
	}
	return n
}
