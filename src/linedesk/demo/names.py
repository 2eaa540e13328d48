"""Italian names and places for the demo data."""

FIRST_NAMES = (
    "Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Sara", "Matteo", "Elena",
    "Davide", "Martina", "Simone", "Valentina", "Federico", "Alessia", "Lorenzo", "Giorgia",
    "Andrea", "Silvia", "Stefano", "Paola", "Riccardo", "Laura", "Tommaso", "Anna", "Gabriele",
    "Beatrice", "Emanuele", "Roberta", "Nicola",
)
LAST_NAMES = (
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
    "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo",
    "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso",
    "Ferrara", "Galli", "Martini", "Leone",
)
# (street, postal code, city, province)
ADDRESSES = (
    ("Via dell'Indipendenza 12", "40121", "Bologna", "BO"),
    ("Corso Buenos Aires 45", "20124", "Milano", "MI"),
    ("Via del Corso 210", "00186", "Roma", "RM"),
    ("Via Toledo 156", "80134", "Napoli", "NA"),
    ("Via Roma 48", "10121", "Torino", "TO"),
    ("Corso Vittorio Emanuele II 71", "90133", "Palermo", "PA"),
    ("Via XX Settembre 33", "16121", "Genova", "GE"),
    ("Via de' Tornabuoni 9", "50123", "Firenze", "FI"),
    ("Piazza Cavour 3", "60121", "Ancona", "AN"),
    ("Via Sparano da Bari 87", "70121", "Bari", "BA"),
    ("Riva del Garda 14", "37129", "Verona", "VR"),
    ("Via Mazzini 27", "34121", "Trieste", "TS"),
)
LARGE_COMPANY_NAMES = (
    "Adriatica Logistica S.p.A.", "Gruppo Siderurgico Padano S.p.A.",
    "Ferrovie Tirreniche S.p.A.", "Alimentari Riuniti del Sud S.p.A.",
    "Costruzioni Appennino S.p.A.", "Energia Alpina S.p.A.", "Banca Popolare del Lario S.p.A.",
    "Assicurazioni Levante S.p.A.", "Trasporti Ionici S.p.A.", "Tessile Lombarda S.p.A.",
)
MOBILE_PREFIXES = (
    "320", "328", "329", "331", "333", "334", "335", "338", "339", "340", "345", "347", "348",
    "349", "366", "380", "388", "389", "392", "393",
)
# (area code, digits after it) for fixed lines, by province
FIXED_AREAS = {"BO": ("051", 7), "MI": ("02", 8), "RM": ("06", 8), "NA": ("081", 7),
               "TO": ("011", 7), "PA": ("091", 7), "GE": ("010", 7), "FI": ("055", 7),
               "AN": ("071", 7), "BA": ("080", 7), "VR": ("045", 7), "TS": ("040", 7)}
