//! Every word the pages show, in English and Arabic side by side: one macro line per word, so
//! a word cannot exist in one language and be missing in the other.

macro_rules! words {
    ($($key:ident: $en:literal, $ar:literal;)*) => {
        /// The words of one language.
        pub struct Words { ar: bool, $(pub(crate) $key: &'static str,)* }
        /// English.
        pub(crate) static EN: Words = Words { ar: false, $($key: $en,)* };
        /// Arabic.
        pub(crate) static AR: Words = Words { ar: true, $($key: $ar,)* };
    };
}

words! {
    sign_in: "Sign in", "تسجيل الدخول";
    email: "E-mail", "البريد الإلكتروني";
    password: "Password", "كلمة المرور";
    password_hint: "At least 12 characters, not your e-mail.", "12 حرفًا على الأقل، وليست بريدك الإلكتروني.";
    code: "Authentication code", "رمز التحقق";
    code_hint: "The six digits your authenticator app shows", "الأرقام الستة التي يعرضها تطبيق المصادقة";
    sign_out: "Sign out", "تسجيل الخروج";
    create_account: "Create an account", "إنشاء حساب";
    have_account: "I already have an account", "لدي حساب بالفعل";
    full_name: "Full name", "الاسم الكامل";
    your_orgs: "Your companies", "شركاتك";
    no_orgs: "You are not a member of any company yet.", "لست عضوًا في أي شركة بعد.";
    new_company: "New company", "شركة جديدة";
    company_name: "Company name", "اسم الشركة";
    create: "Create", "إنشاء";
    join_company: "Join a company", "الانضمام إلى شركة";
    invitation_code: "Invitation code", "رمز الدعوة";
    join: "Join", "انضمام";
    role: "Role", "الدور";
    bad_form: "This form has expired. Please try again.", "انتهت صلاحية هذا النموذج. يرجى المحاولة مرة أخرى.";
    bad_request: "This form could not be read.", "تعذرت قراءة هذا النموذج.";
    tagline: "Offers, contracts, projects and payments for contractors.", "العروض والعقود والمشاريع والمدفوعات لشركات المقاولات.";
    skip: "Skip to content", "انتقل إلى المحتوى";
    menu: "Main menu", "القائمة الرئيسية";
    other_language: "العربية", "English";
    back_home: "Back to your companies", "العودة إلى شركاتك";
    dashboard: "Dashboard", "لوحة المعلومات";
    portal: "My account", "حسابي";
    offers: "Offers", "العروض";
    contracts: "Contracts", "العقود";
    payments: "Payments", "المدفوعات";
    payment: "Payment", "الدفعة";
    projects: "Projects", "المشاريع";
    members: "Members", "الأعضاء";
    audit: "Security log", "سجل الأمان";
    invite: "Invite", "دعوة";
    invite_made: "Invitation created. Send this link to the person; it works once, for that e-mail.", "تم إنشاء الدعوة. أرسل هذا الرابط إلى الشخص؛ يعمل مرة واحدة لهذا البريد.";
    nothing_yet: "Nothing here yet.", "لا يوجد شيء هنا بعد.";
    pages: "Pages", "الصفحات";
    older: "Older", "أقدم";
    newest: "Newest", "الأحدث";
    valid_until: "Valid until", "صالح حتى";
    approve: "Approve", "موافقة";
    reject: "Reject", "رفض";
    open_contract: "Open the contract", "فتح العقد";
    new_offer: "New offer", "عرض جديد";
    no_clients: "Invite a client first: offers are made to the company's clients.", "ادعُ عميلًا أولًا: تُقدَّم العروض لعملاء الشركة.";
    client: "Client", "العميل";
    title: "Title", "العنوان";
    scope: "Scope of work", "نطاق العمل";
    price: "Price", "السعر";
    currency: "Currency", "العملة";
    send_offer: "Send the offer", "إرسال العرض";
    total: "Total", "الإجمالي";
    approve_contract: "Approve the contract", "الموافقة على العقد";
    schedule: "Instalments", "الأقساط";
    no_schedule: "No instalments yet.", "لا توجد أقساط بعد.";
    amount: "Amount", "المبلغ";
    due: "Due", "الاستحقاق";
    standing: "Standing", "الحالة";
    actions: "Actions", "الإجراءات";
    pay: "Pay", "ادفع";
    edit_schedule: "Instalment schedule", "جدول الأقساط";
    schedule_hint: "The instalments must add up to the contract's total. Leave a row empty to drop it.", "يجب أن يساوي مجموع الأقساط إجمالي العقد. اترك الصف فارغًا لحذفه.";
    running_sum: "Sum so far", "المجموع حتى الآن";
    save_schedule: "Save the schedule", "حفظ الجدول";
    activate: "Activate", "تفعيل";
    close: "Close", "إغلاق";
    filter: "Filter", "تصفية";
    all: "All", "الكل";
    refunded: "Refunded", "المسترد";
    reference: "Reference", "المرجع";
    receipt: "Receipt (PDF)", "الإيصال (PDF)";
    timeline: "Timeline", "السجل الزمني";
    refunds: "Refunds", "المبالغ المستردة";
    refund: "Refund", "استرداد";
    reason: "Reason", "السبب";
    back_to_contract: "Back to the contract", "العودة إلى العقد";
    paid_headline: "Thank you: your payment was received.", "شكرًا لك: تم استلام دفعتك.";
    pending_headline: "Your payment is being confirmed. This page updates by itself.", "جارٍ تأكيد دفعتك. ستتحدث هذه الصفحة تلقائيًا.";
    failed_headline: "The payment did not go through. No money was taken.", "لم تتم عملية الدفع. لم يُخصم أي مبلغ.";
    earnings: "Earnings", "الأرباح";
    operations: "Operations", "العمليات";
    notifications: "Notifications", "الإشعارات";
    invoices: "Invoices", "الفواتير";
    number: "Number", "الرقم";
    issued: "Issued", "تاريخ الإصدار";
    address: "Address", "العنوان";
    articles: "Articles", "المقالات";
    publish: "Publish", "نشر";
    new_article: "New article", "مقال جديد";
    body: "Text", "النص";
    save_draft: "Save as draft", "حفظ كمسودة";
    change_role: "Change", "تغيير";
    period: "Period", "الفترة";
    distribute: "Distribute", "توزيع";
    distributed: "Distributed", "تم التوزيع";
    record_earning: "Record a profit or loss", "تسجيل ربح أو خسارة";
    project: "Project", "المشروع";
    commission: "Commission", "العمولة";
    share_percent: "Share (%)", "النسبة (%)";
    schedules: "Schedules", "الجداول";
    next_30_days: "The next 30 days", "الأيام الثلاثون القادمة";
    times_in_utc: "times in UTC", "الأوقات بالتوقيت العالمي";
    conflict: "Conflict", "تعارض";
    new_item: "New item", "موعد جديد";
    kind: "Kind", "النوع";
    timeline_item: "Timeline", "جدول زمني";
    appointment: "Appointment", "موعد";
    starts: "Starts", "يبدأ";
    ends: "Ends", "ينتهي";
    employee: "Employee", "الموظف";
    new_project: "New project", "مشروع جديد";
    contract: "Contract", "العقد";
    start: "Start", "البداية";
    progress: "Progress", "التقدم";
    steps: "Steps", "المراحل";
    new_step: "New step", "مرحلة جديدة";
    add: "Add", "إضافة";
    start_step: "Start", "بدء";
    complete_step: "Mark done", "تم الإنجاز";
    designs: "Designs", "التصاميم";
    new_version: "New version (PDF, image or drawing)", "نسخة جديدة (PDF أو صورة أو مخطط)";
    upload: "Upload", "رفع";
    new_design: "New design", "تصميم جديد";
    link: "Link", "الرابط";
    workers: "Workers", "العمال";
    person: "Person", "الشخص";
    notes: "Notes", "الملاحظات";
    new_note: "New note", "ملاحظة جديدة";
    open_ended: "no end date", "بلا تاريخ انتهاء";
    overall: "Overall", "الحالة العامة";
    refresh: "Refresh", "تحديث";
    breakers: "Circuit breakers", "قواطع الدائرة";
    name: "Name", "الاسم";
    status: "Status", "الحالة";
    window: "Failures / calls in the window", "الإخفاقات / الطلبات في النافذة";
    reset: "Reset", "إعادة ضبط";
    tasks: "Background tasks", "المهام الخلفية";
    failures: "Failures in a row", "إخفاقات متتالية";
    last_error: "Last error", "آخر خطأ";
    recent_events: "Newest payment events", "أحدث أحداث الدفع";
    when: "When", "الوقت";
    who: "Who", "من";
    what: "What", "الحدث";
    source: "Source", "المصدر";
    refused_callbacks: "Refused gateway callbacks (this instance)", "إشعارات البوابة المرفوضة (هذه النسخة)";
    from: "From", "من";
    none_refused: "No callback was refused.", "لم يُرفض أي إشعار.";
    profit: "Profit", "الربح";
    loss: "Loss", "الخسارة";
    records: "Records", "السجلات";
    trend: "Net earnings per month, last 12 months", "صافي الأرباح شهريًا، آخر 12 شهرًا";
    top_projects: "Top projects", "أفضل المشاريع";
    top_employees: "Top employees", "أفضل الموظفين";
    no_earnings: "No earnings recorded yet.", "لم تُسجَّل أرباح بعد.";
    offers_to_answer: "Offers waiting for you", "عروض بانتظارك";
    nothing_to_answer: "No offer is waiting for your answer.", "لا يوجد عرض بانتظار ردك.";
}

impl Words {
    /// A role's name.
    pub fn role_name(&self, role: &str) -> &'static str {
        match (role, self.ar) {
            ("owner", false) => "Owner",
            ("owner", true) => "المالك",
            ("admin", false) => "Administrator",
            ("admin", true) => "مسؤول",
            ("manager", false) => "Manager",
            ("manager", true) => "مدير",
            ("employee", false) => "Employee",
            ("employee", true) => "موظف",
            ("client", false) => "Client",
            ("client", true) => "عميل",
            (_, false) => "Member",
            (_, true) => "عضو",
        }
    }

    /// A state's name (offers, contracts, instalments, payments, refunds, projects).
    pub fn state(&self, state: &str) -> &'static str {
        crate::states::label(self.ar, state)
    }

    /// A payment event's name.
    pub fn event(&self, kind: &str) -> &'static str {
        crate::states::event(self.ar, kind)
    }
}
