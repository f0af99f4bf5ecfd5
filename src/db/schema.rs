//! The one diesel schema for both backends. It matches
//! `migrations/sqlite` and `migrations/postgresql`; the test
//! `schemas_of_both_backends_match` (tests/office_db.rs) keeps the two in step.

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        role -> Text,
        password_hash -> Text,
        must_change_password -> Bool,
        disabled -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        password_changed_at -> Timestamp,
        site_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (token_hash) {
        token_hash -> Binary,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Binary,
        label -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        permissions -> Nullable<Text>,
    }
}

diesel::table! {
    login_throttle (subject) {
        subject -> Binary,
        kind -> Text,
        failures -> Integer,
        window_start -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    residents (id) {
        id -> BigInt,
        sealed_record -> Nullable<Binary>,
        sealed_photo -> Nullable<Binary>,
        photo_delete_after -> Nullable<Timestamp>,
        dedup_hmac -> Nullable<Binary>,
        created_at -> Timestamp,
        erased_at -> Nullable<Timestamp>,
        search_hmac -> Nullable<Binary>,
    }
}

diesel::table! {
    cards (card_number) {
        card_number -> BigInt,
        resident_id -> Nullable<BigInt>,
        status -> Text,
        revocation_reason -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
        issued -> Date,
        expires -> Date,
        office -> Text,
        kid -> Binary,
        sealed_qr -> Nullable<Binary>,
        printed_at -> Nullable<Timestamp>,
        identity_checked -> Bool,
        residence_checked -> Bool,
        attested_by -> Text,
        attested_at -> Timestamp,
        previous_card -> Nullable<BigInt>,
        caretaker_present -> Bool,
        sealed_route -> Nullable<Binary>,
        pickup_state -> Nullable<Text>,
        pickup_state_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sites (id) {
        id -> BigInt,
        sealed -> Binary,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    site_figures (site_id, month, event) {
        site_id -> BigInt,
        month -> Text,
        event -> Text,
        count -> BigInt,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        office -> Text,
        action -> Text,
        card_number -> Nullable<BigInt>,
        detail -> Text,
        prev_hash -> Binary,
        hash -> Binary,
    }
}

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Binary,
    }
}

diesel::table! {
    office_meta (name) {
        name -> Text,
        value -> Binary,
    }
}

diesel::table! {
    published_lists (name) {
        name -> Text,
        issued_at -> Timestamp,
        content_hash -> Binary,
        bytes -> Binary,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(cards -> residents (resident_id));
diesel::joinable!(users -> sites (site_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    api_tokens,
    login_throttle,
    residents,
    cards,
    audit_log,
    audit_head,
    office_meta,
    published_lists,
    sites,
    site_figures,
);
