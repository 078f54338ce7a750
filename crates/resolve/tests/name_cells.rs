//! Names written in other cells than the next record's: a whole name in one cell against given
//! and family names in two, a whole name in the given-name cell, and a lone name in the other
//! cell.

use corridor_resolve::block::{BlockingRule, rule_keys};
use corridor_resolve::compare::{Comparator, Prepared};
use corridor_resolve::split_given_name;
use corridor_resolve::table::{Field, Role};

fn field(role: Role, values: &[&str]) -> Field {
    Field {
        role,
        occurrence: 0,
        name: role.as_str().to_string(),
        values: values
            .iter()
            .map(|v| (!v.is_empty()).then(|| (*v).into()))
            .collect(),
    }
}

/// Records 0 and 1 write a whole name in one cell; 2, 3 and 4 write given and family names.
fn whole_names() -> Prepared {
    let full = field(Role::FullName, &["Louay A.", "Ahmad Karimi", "", "", ""]);
    let given = field(Role::GivenName, &["", "", "Louay", "Ahmad", "Ahmad"]);
    let family = field(Role::FamilyName, &["", "", "Al-Ali", "Karimi", "Karimi"]);
    let mut p = Prepared::new(&full, Comparator::FullName);
    p.derive_full_names(&given, &family);
    p
}

#[test]
fn a_whole_name_meets_given_and_family_names_in_two_cells() {
    let p = whole_names();
    assert!(!p.is_derived(p.value[0]) && !p.is_derived(p.value[1]));
    assert!(p.is_derived(p.value[2]) && p.is_derived(p.value[3]));
    // The same name written in one cell and in two agrees exactly.
    assert_eq!(p.level(1, 3), 1);
    // An abbreviated family name still agrees, less than exactly.
    let partial = p.level(0, 2);
    assert!((2..=4).contains(&partial), "level {partial}");
    // A different name disagrees.
    assert_eq!(p.level(0, 3), 5);
}

#[test]
fn two_names_made_of_parts_are_not_compared_twice() {
    let p = whole_names();
    // Records 3 and 4 have the same given and family names, which their own comparisons
    // weigh: the whole names made of them compare as missing.
    assert_eq!(p.level(3, 4), 0);
    assert_eq!(p.level(2, 3), 0);
}

#[test]
fn names_made_of_parts_make_no_blocking_key() {
    let p = whole_names();
    let rule = BlockingRule::parse("full_name").expect("rule");
    let keys = rule_keys(&rule, &[(&p, Role::FullName, 0)], None, p.value.len());
    assert!(keys[0] != 0 && keys[1] != 0);
    assert_eq!(&keys[2..], &[0, 0, 0]);
}

#[test]
fn a_whole_name_in_the_given_name_cell_is_split() {
    let (given, family) =
        split_given_name(Some("Mohammad Nazari"), None).expect("a whole name is split");
    // The parts as names compare them (romanisation variants folded).
    let key = corridor_text::names::name_key;
    assert_eq!((given, family), (key("Mohammad"), key("Nazari")));
    // A placeholder family name is no family name.
    assert!(split_given_name(Some("Rawand Mohammed"), Some("LNU")).is_some());
    // A family name present, one part, or a compound that is one name: as written.
    assert_eq!(split_given_name(Some("Mohammad Ali"), Some("Karimi")), None);
    assert_eq!(split_given_name(Some("Yahya"), None), None);
    assert_eq!(split_given_name(Some("Abdul Rahman"), None), None);
    assert_eq!(split_given_name(None, None), None);
}

#[test]
fn a_lone_name_in_the_other_cell_counts_as_swapped() {
    let given = field(
        Role::GivenName,
        &["FNU", "Tarek", "Tarek", "", "Ahmad", "Karim"],
    );
    let family = field(
        Role::FamilyName,
        &["Tarek", "Al-Khalil", "", "", "Tarek", "Ahmadi"],
    );
    let p = Prepared::new_swap(&given, &family);
    // `FNU Tarek` against `Tarek Al-Khalil`: the lone family name is the other's given name.
    assert_eq!(p.level(0, 1), 1);
    // Lone names in opposite cells.
    assert_eq!(p.level(0, 2), 1);
    // A lone name in the same cell as the other's: not swapped.
    assert_eq!(p.level(0, 4), 2);
    // A lone name that is neither of the other's.
    assert_eq!(p.level(0, 5), 2);
    // A record with no name at all says nothing.
    assert_eq!(p.level(0, 3), 0);
    // Both names in both records, in place: not swapped; swapped: swapped.
    assert_eq!(p.level(1, 5), 2);
}
