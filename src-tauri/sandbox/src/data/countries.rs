//! The countries users are generated in: locale, time zone, and the names and cities drawn from.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    pub code: &'static str,
    pub locale: &'static str,
    pub time_zone: &'static str,
    pub iana: &'static str,
    pub(super) first: &'static [&'static str],
    pub(super) last: &'static [&'static str],
    pub(super) cities: &'static [&'static str],
}

pub const COUNTRIES: [Country; 8] = [
    Country {
        code: "FR",
        locale: "fr",
        time_zone: "Paris",
        iana: "Europe/Paris",
        first: &[
            "Camille", "Léa", "Hugo", "Chloé", "Louis", "Manon", "Jules", "Inès",
        ],
        last: &[
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        ],
        cities: &["Paris", "Lyon", "Marseille", "Toulouse", "Nantes"],
    },
    Country {
        code: "US",
        locale: "en-US",
        time_zone: "Eastern Time (US & Canada)",
        iana: "America/New_York",
        first: &[
            "James", "Olivia", "Liam", "Emma", "Noah", "Ava", "Mason", "Sophia",
        ],
        last: &[
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
        ],
        cities: &["New York", "Chicago", "Austin", "Seattle", "Boston"],
    },
    Country {
        code: "BR",
        locale: "pt-BR",
        time_zone: "Brasilia",
        iana: "America/Sao_Paulo",
        first: &[
            "João", "Maria", "Pedro", "Ana", "Lucas", "Júlia", "Gabriel", "Beatriz",
        ],
        last: &[
            "Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Almeida",
        ],
        cities: &[
            "São Paulo",
            "Rio de Janeiro",
            "Belo Horizonte",
            "Curitiba",
            "Recife",
        ],
    },
    Country {
        code: "DE",
        locale: "de",
        time_zone: "Berlin",
        iana: "Europe/Berlin",
        first: &[
            "Lukas", "Mia", "Leon", "Hannah", "Finn", "Emilia", "Paul", "Lina",
        ],
        last: &[
            "Müller",
            "Schmidt",
            "Schneider",
            "Fischer",
            "Weber",
            "Meyer",
            "Wagner",
            "Becker",
        ],
        cities: &["Berlin", "Hamburg", "München", "Köln", "Frankfurt"],
    },
    Country {
        code: "ES",
        locale: "es",
        time_zone: "Madrid",
        iana: "Europe/Madrid",
        first: &[
            "Lucía", "Hugo", "Sofía", "Martín", "Paula", "Pablo", "Alba", "Álvaro",
        ],
        last: &[
            "García",
            "Fernández",
            "González",
            "Rodríguez",
            "López",
            "Martínez",
            "Sánchez",
            "Pérez",
        ],
        cities: &["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao"],
    },
    Country {
        code: "GB",
        locale: "en-GB",
        time_zone: "London",
        iana: "Europe/London",
        first: &[
            "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Freya",
        ],
        last: &[
            "Taylor", "Wilson", "Evans", "Walker", "Wright", "Roberts", "Hughes", "Green",
        ],
        cities: &["London", "Manchester", "Leeds", "Bristol", "Glasgow"],
    },
    Country {
        code: "IN",
        locale: "en-IN",
        time_zone: "New Delhi",
        iana: "Asia/Kolkata",
        first: &[
            "Aarav", "Ananya", "Vivaan", "Diya", "Arjun", "Saanvi", "Reyansh", "Aadhya",
        ],
        last: &[
            "Sharma", "Verma", "Patel", "Gupta", "Singh", "Kumar", "Reddy", "Iyer",
        ],
        cities: &["Mumbai", "Delhi", "Bengaluru", "Chennai", "Pune"],
    },
    Country {
        code: "MX",
        locale: "es-MX",
        time_zone: "Mexico City",
        iana: "America/Mexico_City",
        first: &[
            "Santiago",
            "Valentina",
            "Mateo",
            "Regina",
            "Sebastián",
            "Ximena",
            "Diego",
            "Camila",
        ],
        last: &[
            "Hernández",
            "García",
            "Martínez",
            "López",
            "González",
            "Pérez",
            "Rodríguez",
            "Sánchez",
        ],
        cities: &[
            "Ciudad de México",
            "Guadalajara",
            "Monterrey",
            "Puebla",
            "Mérida",
        ],
    },
];
