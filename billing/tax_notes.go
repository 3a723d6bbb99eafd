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
		"en": "Not subject to EU VAT: services to a business established outside the EU (Article 44 of Council Directive 2006/112/EC).",
		"de": "Nicht im Inland steuerbar: Leistung an einen Unternehmer außerhalb der EU (Art. 44 der Richtlinie 2006/112/EG).",
		"fr": "TVA non applicable : prestation à un assujetti établi hors de l'UE (article 44 de la directive 2006/112/CE).",
		"it": "Operazione non soggetta a IVA: servizio a un soggetto passivo stabilito fuori dall'UE (art. 44 della direttiva 2006/112/CE).",
		"da": "Ikke momspligtig i EU: ydelse til en virksomhed uden for EU (artikel 44 i Rådets direktiv 2006/112/EF).",
	},
	"outside_eu_consumer": {
		"en": "Not subject to EU VAT: electronically supplied services to a customer outside the EU (Article 58 of Council Directive 2006/112/EC).",
		"de": "Nicht im Inland steuerbar: elektronisch erbrachte Leistung an einen Empfänger außerhalb der EU (Art. 58 der Richtlinie 2006/112/EG).",
		"fr": "TVA non applicable : service fourni par voie électronique à un client établi hors de l'UE (article 58 de la directive 2006/112/CE).",
		"it": "Operazione non soggetta a IVA: servizio elettronico a un cliente fuori dall'UE (art. 58 della direttiva 2006/112/CE).",
		"da": "Ikke momspligtig i EU: elektronisk leveret ydelse til en kunde uden for EU (artikel 58 i Rådets direktiv 2006/112/EF).",
	},
	"territory": {
		"en": "Not subject to EU VAT: place of supply outside the EU VAT area (Article 6 of Council Directive 2006/112/EC):",
		"de": "Nicht steuerbar: Leistungsort außerhalb des Mehrwertsteuergebiets der EU (Art. 6 der Richtlinie 2006/112/EG):",
		"fr": "TVA non applicable : lieu de prestation hors du territoire de TVA de l'UE (article 6 de la directive 2006/112/CE) :",
		"it": "Operazione non soggetta a IVA: luogo della prestazione fuori dal territorio IVA dell'UE (art. 6 della direttiva 2006/112/CE):",
		"da": "Ikke momspligtig: leveringsstedet er uden for EU's momsområde (artikel 6 i Rådets direktiv 2006/112/EF):",
	},
	"territory_national": {
		"en": "Not subject to VAT:",
		"de": "Nicht steuerbar:",
		"fr": "TVA non applicable :",
		"it": "Operazione non soggetta a IVA:",
		"da": "Ikke momspligtig:",
	},
	"late_fee": {
		"en": "Not subject to VAT: compensation for late payment, not the consideration for a supply (Article 2 of Council Directive 2006/112/EC).",
		"de": "Nicht steuerbar: Schadenersatz wegen Zahlungsverzugs, kein Entgelt für eine Leistung (Art. 2 der Richtlinie 2006/112/EG).",
		"fr": "Hors champ de la TVA : indemnité de retard de paiement, sans contrepartie d'une prestation (article 2 de la directive 2006/112/CE).",
		"it": "Operazione fuori campo IVA: risarcimento per ritardato pagamento, non corrispettivo di una prestazione (art. 2 della direttiva 2006/112/CE).",
		"da": "Ikke momspligtig: godtgørelse for forsinket betaling, ikke vederlag for en ydelse (artikel 2 i Rådets direktiv 2006/112/EF).",
	},
	"small_business_DE": {
		"en": "No VAT is charged: small business under § 19 UStG (German VAT Act).",
		"de": "Gemäß § 19 UStG wird keine Umsatzsteuer berechnet (Kleinunternehmerregelung).",
		"fr": "TVA non facturée : petite entreprise au sens du § 19 UStG (loi allemande sur la TVA).",
		"it": "IVA non addebitata: piccola impresa ai sensi del § 19 UStG (legge tedesca sull'IVA).",
		"da": "Der beregnes ikke moms: lille virksomhed efter § 19 UStG (den tyske momslov).",
	},
	"small_business_FR": {
		"en": "VAT not applicable: small business franchise, article 293 B of the French General Tax Code.",
		"de": "Keine Umsatzsteuer: Kleinunternehmer nach Art. 293 B des französischen Code général des impôts.",
		"fr": "TVA non applicable, art. 293 B du CGI.",
		"it": "IVA non applicabile: franchigia per piccole imprese, art. 293 B del codice generale delle imposte francese.",
		"da": "Moms ikke relevant: fritagelse for små virksomheder, artikel 293 B i den franske skattelov (CGI).",
	},
	"small_business_IT": {
		"en": "No VAT charged: flat-rate scheme under Article 1(54) to (89) of Italian Law No. 190/2014 (regime forfettario).",
		"de": "Keine Umsatzsteuer: Pauschalregelung nach Art. 1 Abs. 54 bis 89 des italienischen Gesetzes Nr. 190/2014 (regime forfettario).",
		"fr": "TVA non facturée : régime forfaitaire de l'article 1, alinéas 54 à 89, de la loi italienne n° 190/2014 (regime forfettario).",
		"it": "Operazione effettuata ai sensi dell'art. 1, commi da 54 a 89, della Legge n. 190/2014 (regime forfettario): operazione senza applicazione dell'IVA.",
		"da": "Der beregnes ikke moms: fast ordning efter artikel 1, stk. 54-89, i italiensk lov nr. 190/2014 (regime forfettario).",
	},
	"small_business_DK": {
		"en": "No VAT charged: the business is not registered for VAT, section 48 of the Danish VAT Act (turnover below DKK 50,000).",
		"de": "Keine Umsatzsteuer: das Unternehmen ist nach § 48 des dänischen Mehrwertsteuergesetzes nicht registriert (Umsatz unter 50.000 DKK).",
		"fr": "TVA non facturée : entreprise non immatriculée à la TVA, article 48 de la loi danoise sur la TVA (chiffre d'affaires inférieur à 50 000 DKK).",
		"it": "IVA non addebitata: impresa non registrata ai fini IVA, art. 48 della legge danese sull'IVA (volume d'affari inferiore a 50.000 DKK).",
		"da": "Der beregnes ikke moms: virksomheden er ikke momsregistreret, jf. momslovens § 48 (omsætning under 50.000 kr.).",
	},
	"exempt": {
		"en": "Exempt from VAT:",
		"de": "Von der Umsatzsteuer befreit:",
		"fr": "Exonération de TVA :",
		"it": "Operazione esente da IVA:",
		"da": "Fritaget for moms:",
	},
}

// noteLanguage is the language a seller's country writes its invoices'
// legal notes in (Art. 219a: the seller's country's invoicing rules
// apply); English for the countries whose language is not one of ours.
var noteLanguage = map[string]string{"DE": "de", "AT": "de", "FR": "fr", "MC": "fr", "IT": "it", "DK": "da"}

// TaxNote is the legal note of a decision: in the language of the
// seller's country (Art. 219a of Directive 2006/112/EC), with the English
// text added when the buyer reads another language; empty when the
// category needs none. A French seller's reverse charge says
// "Autoliquidation", a German one's "Steuerschuldnerschaft des
// Leistungsempfängers", whatever the buyer's language.
func TaxNote(d TaxDecision, sellerCountry, buyerLang string) string {
	texts, ok := taxNotes[d.Note]
	if !ok {
		return ""
	}
	lang := noteLanguage[sellerCountry]
	if lang == "" {
		lang = "en"
	}
	text := texts[lang]
	if d.Reason != "" {
		text += " " + d.Reason
	}
	if lang != "en" && buyerLang != lang {
		en := texts["en"]
		if d.Reason != "" {
			en += " " + d.Reason
		}
		text += " / " + en
	}
	return text
}
