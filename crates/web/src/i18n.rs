//! Arabic or English: the person's choice, else the browser's `Accept-Language`; the words
//! each page uses, in both.

use axum::http::HeaderMap;

/// A page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English, left to right.
    En,
    /// Arabic, right to left.
    Ar,
}

impl Lang {
    /// From `Accept-Language`: the first of `ar` or `en` named, English when neither is.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let accepted = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        for tag in accepted.split(',') {
            let primary = tag.split(';').next().unwrap_or_default().trim();
            let primary = primary
                .split('-')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            match primary.as_str() {
                "ar" => return Self::Ar,
                "en" => return Self::En,
                _ => {}
            }
        }
        Self::En
    }

    /// `lang` attribute.
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ar => "ar",
        }
    }

    /// `dir` attribute.
    pub const fn dir(self) -> &'static str {
        match self {
            Self::En => "ltr",
            Self::Ar => "rtl",
        }
    }

    /// The words of the pages.
    pub const fn words(self) -> &'static Words {
        match self {
            Self::En => &EN,
            Self::Ar => &AR,
        }
    }
}

/// Every word the pages show.
pub struct Words {
    pub(crate) sign_in: &'static str,
    pub(crate) email: &'static str,
    pub(crate) password: &'static str,
    pub(crate) code: &'static str,
    pub(crate) code_hint: &'static str,
    pub(crate) sign_out: &'static str,
    pub(crate) your_orgs: &'static str,
    pub(crate) no_orgs: &'static str,
    pub(crate) role: &'static str,
    pub(crate) welcome: &'static str,
    pub(crate) bad_form: &'static str,
    pub(crate) tagline: &'static str,
}

const EN: Words = Words {
    sign_in: "Sign in",
    email: "E-mail",
    password: "Password",
    code: "Authentication code",
    code_hint: "The six digits your authenticator app shows",
    sign_out: "Sign out",
    your_orgs: "Your organizations",
    no_orgs: "You are not a member of any organization yet.",
    role: "Role",
    welcome: "Welcome",
    bad_form: "This form has expired. Please try again.",
    tagline: "Offers, contracts, projects and payments for contractors.",
};

const AR: Words = Words {
    sign_in: "تسجيل الدخول",
    email: "البريد الإلكتروني",
    password: "كلمة المرور",
    code: "رمز التحقق",
    code_hint: "الأرقام الستة التي يعرضها تطبيق المصادقة",
    sign_out: "تسجيل الخروج",
    your_orgs: "مؤسساتك",
    no_orgs: "لست عضوًا في أي مؤسسة بعد.",
    role: "الدور",
    welcome: "مرحبًا",
    bad_form: "انتهت صلاحية هذا النموذج. يرجى المحاولة مرة أخرى.",
    tagline: "العروض والعقود والمشاريع والمدفوعات لشركات المقاولات.",
};
