//! The names of states and payment events in both languages (the stored values are English
//! identifiers; people read these).

/// A state's name; the identifier itself when it is not one we know.
pub fn label(ar: bool, state: &str) -> &'static str {
    let (en, arabic) = match state {
        "review" => ("In review", "قيد المراجعة"),
        "approved_by_client" => ("Approved by the client", "وافق عليه العميل"),
        "rejected_by_client" => ("Rejected by the client", "رفضه العميل"),
        "converted_to_contract" => ("Became a contract", "تحول إلى عقد"),
        "closed" => ("Closed", "مغلق"),
        "active" => ("Active", "نشط"),
        "planned" => ("Planned", "مخطط"),
        "on_hold" => ("On hold", "معلق"),
        "completed" => ("Completed", "مكتمل"),
        "in_progress" => ("In progress", "قيد التنفيذ"),
        "cancelled" => ("Cancelled", "ملغى"),
        "created" => ("Created", "أُنشئت"),
        "pending" => ("Pending", "قيد الانتظار"),
        "paid" => ("Paid", "مدفوع"),
        "declined" => ("Declined", "مرفوض"),
        "expired" => ("Expired", "منتهي"),
        "failed" => ("Failed", "فشل"),
        "partially_refunded" => ("Partly refunded", "مسترد جزئيًا"),
        "refunded" => ("Refunded", "مسترد"),
        "succeeded" => ("Done", "تم"),
        "profit" => ("Profit", "ربح"),
        "loss" => ("Loss", "خسارة"),
        "draft" => ("Draft", "مسودة"),
        "published" => ("Published", "منشور"),
        "issued" => ("Issued", "صادرة"),
        "partially_paid" => ("Partly paid", "مدفوعة جزئيًا"),
        "void" => ("Void", "ملغاة"),
        "scheduled" => ("Scheduled", "مجدول"),
        "due" => ("Due", "مستحق"),
        "overdue" => ("Overdue", "متأخر"),
        _ => ("Other", "أخرى"),
    };
    if ar { arabic } else { en }
}

/// A payment event's name.
pub fn event(ar: bool, kind: &str) -> &'static str {
    let (en, arabic) = match kind {
        "created" => ("Created", "أُنشئت"),
        "page_issued" => ("Payment page opened", "فُتحت صفحة الدفع"),
        "state_changed" => ("State changed", "تغيرت الحالة"),
        "ipn_received" => ("Gateway notification", "إشعار من بوابة الدفع"),
        "verified" => ("Verified with the gateway", "تم التحقق لدى البوابة"),
        "held_for_review" => ("Held for review", "أوقفت للمراجعة"),
        "mismatch_ignored" => ("Mismatched notice ignored", "تم تجاهل إشعار غير مطابق"),
        "refund_requested" => ("Refund requested", "طُلب استرداد"),
        "refund_settled" => ("Refund settled", "تمت تسوية الاسترداد"),
        _ => ("Event", "حدث"),
    };
    if ar { arabic } else { en }
}
