package dunning

import "fmt"

// phrases are the late-fee line texts, in the buyer's language (English
// when it is another). They are copied onto the fee invoice, so a later
// change of wording never alters an issued document.
var phrases = map[string]map[string]string{
	"fee": {
		"en": "Reminder fee for invoice %s",
		"de": "Mahngebühr zu Rechnung %s",
		"fr": "Frais de relance pour la facture %s",
		"it": "Spese di sollecito per la fattura %s",
		"da": "Rykkergebyr for faktura %s",
	},
	"interest": {
		"en": "Late-payment interest on invoice %s: %s at %s %% a year for %d days",
		"de": "Verzugszinsen zu Rechnung %s: %s zu %s %% p. a. für %d Tage",
		"fr": "Intérêts de retard sur la facture %s : %s au taux annuel de %s %% pendant %d jours",
		"it": "Interessi di mora sulla fattura %s: %s al %s %% annuo per %d giorni",
		"da": "Morarenter af faktura %s: %s med %s %% p.a. i %d dage",
	},
	"compensation": {
		"en": "Flat compensation for recovery costs, invoice %s (Directive 2011/7/EU)",
		"de": "Verzugspauschale zu Rechnung %s (§ 288 Abs. 5 BGB, Richtlinie 2011/7/EU)",
		"fr": "Indemnité forfaitaire pour frais de recouvrement, facture %s (art. L441-10 du Code de commerce)",
		"it": "Risarcimento forfettario dei costi di recupero, fattura %s (art. 6 D.Lgs. 231/2002)",
		"da": "Kompensationsbeløb for inddrivelsesomkostninger, faktura %s (renteloven § 9 b)",
	},
}

func phrase(lang, key string, args ...any) string {
	texts := phrases[key]
	text, ok := texts[lang]
	if !ok {
		text = texts["en"]
	}
	return fmt.Sprintf(text, args...)
}
