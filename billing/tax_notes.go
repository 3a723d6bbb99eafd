package billing

// taxNotes are the legal notes an invoice prints, in the buyer's
// language. They are copied onto the invoice when it is made, so a later
// change of wording never alters an issued document.
var taxNotes = map[string]map[string]string{
	"reverse_charge": {
		"en": "Reverse charge: VAT to be accounted for by the recipient (Article 196 of Council Directive 2006/112/EC).",
		"de": "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, Art. 196 der Richtlinie 2006/112/EG).",
		"fr": "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE).",
		"it": "Inversione contabile: IVA da assolvere a cura del destinatario (art. 196 della direttiva 2006/112/CE).",
		"da": "Omvendt betalingspligt: køber afregner momsen (artikel 196 i Rådets direktiv 2006/112/EF).",
	},
	"outside_eu": {
		"en": "Not subject to EU VAT: place of supply outside the EU (Article 59 of Council Directive 2006/112/EC).",
		"de": "Nicht im Inland steuerbar: Leistungsort außerhalb der EU (Art. 59 der Richtlinie 2006/112/EG).",
		"fr": "TVA non applicable : lieu de prestation hors de l'UE (article 59 de la directive 2006/112/CE).",
		"it": "Operazione non soggetta a IVA: luogo della prestazione fuori dall'UE (art. 59 della direttiva 2006/112/CE).",
		"da": "Ikke momspligtig i EU: leveringsstedet er uden for EU (artikel 59 i Rådets direktiv 2006/112/EF).",
	},
	"late_fee": {
		"en": "Not subject to VAT: compensation for late payment, not the consideration for a supply (Article 2 of Council Directive 2006/112/EC).",
		"de": "Nicht steuerbar: Schadenersatz wegen Zahlungsverzugs, kein Entgelt für eine Leistung (Art. 2 der Richtlinie 2006/112/EG).",
		"fr": "Hors champ de la TVA : indemnité de retard de paiement, sans contrepartie d'une prestation (article 2 de la directive 2006/112/CE).",
		"it": "Operazione fuori campo IVA: risarcimento per ritardato pagamento, non corrispettivo di una prestazione (art. 2 della direttiva 2006/112/CE).",
		"da": "Ikke momspligtig: godtgørelse for forsinket betaling, ikke vederlag for en ydelse (artikel 2 i Rådets direktiv 2006/112/EF).",
	},
	"exempt": {
		"en": "Exempt from VAT:",
		"de": "Von der Umsatzsteuer befreit:",
		"fr": "Exonération de TVA :",
		"it": "Operazione esente da IVA:",
		"da": "Fritaget for moms:",
	},
}

// TaxNote is the legal note of a decision in lang (English when the
// language is unknown); empty when the category needs none.
func TaxNote(d TaxDecision, lang string) string {
	texts, ok := taxNotes[d.Note]
	if !ok {
		return ""
	}
	text, ok := texts[lang]
	if !ok {
		text = texts["en"]
	}
	if d.Reason != "" {
		text += " " + d.Reason
	}
	return text
}
