//! Wire names of the core's closed sets: `as_str`, `Display` and `FromStr` from one table per enum.
//!
//! Each enum also derives serde with `rename_all = "snake_case"`; the test below checks that the
//! table and serde agree, so the command line, the npm package and the JSON share one spelling.

/// Gives a unit enum `ALL`, `as_str`, `Display` and `FromStr` from its variants and wire names.
/// `$what` names the value in the error of a failed parse (e.g. `precision`).
///
/// With `other = Variant` instead of `$what`, any name outside the table parses to that variant,
/// as serde's `#[serde(other)]` on it does: for sets named by the outside world (an OS, a
/// hypervisor, a graphics API) that grow without trainfit's say.
macro_rules! wire_names {
    (@names $ty:ty, { $($variant:ident => $name:literal),+ }) => {
        impl $ty {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];

            /// The name used in JSON and on the command line.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(<$ty>::$variant => $name),+
                }
            }
        }

        // `pad`, not `write_str`, so that a width in the format (`{:<18}`) aligns the name as it
        // would a `&str`.
        impl core::fmt::Display for $ty {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
    ($ty:ty, other = $other:ident, { $($variant:ident => $name:literal),+ $(,)? }) => {
        $crate::wire::wire_names!(@names $ty, { $($variant => $name),+ });

        impl core::str::FromStr for $ty {
            type Err = core::convert::Infallible;

            /// The variant of a name; a name outside the table is the catch-all variant.
            fn from_str(s: &str) -> core::result::Result<Self, Self::Err> {
                Ok(<$ty>::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .unwrap_or(<$ty>::$other))
            }
        }
    };
    ($ty:ty, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        $crate::wire::wire_names!(@names $ty, { $($variant => $name),+ });

        impl core::str::FromStr for $ty {
            type Err = $crate::error::Error;

            fn from_str(s: &str) -> $crate::error::Result<Self> {
                <$ty>::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| {
                        $crate::error::Error::invalid(
                            $what,
                            $crate::error::Quoted(s),
                            $crate::wire::one_of(<$ty>::ALL.iter().map(|v| v.as_str())),
                        )
                    })
            }
        }
    };
}

pub(crate) use wire_names;

/// `one of a, b, c`.
pub(crate) fn one_of<'a>(names: impl Iterator<Item = &'a str>) -> alloc::string::String {
    let mut out = alloc::string::String::from("one of ");
    for (i, name) in names.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;
    use core::str::FromStr;

    use crate::estimate::{Phase, TermKind};
    use crate::hardware::*;
    use crate::model::{Activation, Family};
    use crate::plan::{FallbackAction, GoalTask, Mode, ModelOrigin, Schedule};
    use crate::request::*;
    use crate::warning::WarningCode;

    /// Each table entry round-trips through `FromStr` and serde and equals serde's name; a name
    /// outside the table is refused by both, or (`other = …`) read as the same catch-all by both.
    fn agree<T>(all: &[T])
    where
        T: Copy
            + core::fmt::Debug
            + PartialEq
            + core::fmt::Display
            + FromStr
            + serde::Serialize
            + serde::de::DeserializeOwned,
        <T as FromStr>::Err: core::fmt::Debug,
    {
        for &v in all {
            let name = v.to_string();
            let json = serde_json::Value::String(name.clone());
            assert_eq!(serde_json::to_value(v).unwrap(), json, "{v:?}");
            assert_eq!(serde_json::from_value::<T>(json).unwrap(), v, "{v:?}");
            assert_eq!(T::from_str(&name).unwrap(), v);
        }
        let stranger = "no_such_name";
        let by_serde = serde_json::from_value::<T>(serde_json::Value::from(stranger)).ok();
        assert_eq!(T::from_str(stranger).ok(), by_serde, "{stranger}");
    }

    #[test]
    fn tables_agree_with_serde() {
        agree(Task::ALL);
        agree(Precision::ALL);
        agree(Dtype::ALL);
        agree(Optimizer::ALL);
        agree(OptimizerImpl::ALL);
        agree(AttentionImpl::ALL);
        agree(Checkpointing::ALL);
        agree(LossImpl::ALL);
        agree(QuantFormat::ALL);
        agree(Sharding::ALL);
        agree(Framework::ALL);
        agree(Phase::ALL);
        agree(TermKind::ALL);
        agree(GoalTask::ALL);
        agree(Mode::ALL);
        agree(Family::ALL);
        agree(Activation::ALL);
        agree(WarningCode::ALL);
        agree(ModelOrigin::ALL);
        agree(Schedule::ALL);
        agree(FallbackAction::ALL);
        agree(Os::ALL);
        agree(Container::ALL);
        agree(Virtualization::ALL);
        agree(FormFactor::ALL);
        agree(CpuFlag::ALL);
        agree(SwapKind::ALL);
        agree(Backend::ALL);
        agree(MemorySource::ALL);
        agree(MatrixDtype::ALL);
        agree(ThrottleReason::ALL);
        agree(Reader::ALL);
        agree(LinkLevel::ALL);
        agree(StorageKind::ALL);
        agree(BatteryStatus::ALL);
        agree(NetworkKind::ALL);
        agree(Vendor::ALL);
        agree(AcceleratorKind::ALL);
        agree(crate::cluster::LinkClass::ALL);
    }

    #[test]
    fn display_honours_width_as_a_str_does() {
        assert_eq!(
            alloc::format!("[{:<18}]", FallbackAction::Adamw8bit),
            "[adamw_8bit        ]"
        );
        assert_eq!(alloc::format!("[{:>8}]", Mode::Extreme), "[ extreme]");
    }

    #[test]
    fn outside_names_read_as_the_catch_all() {
        assert_eq!(Os::from_str("freebsd"), Ok(Os::Other));
        assert_eq!(
            serde_json::from_str::<Virtualization>("\"microsoft\"").unwrap(),
            Virtualization::Unknown
        );
        let e = FormFactor::from_str("tablet").unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `host.form_factor` is \"tablet\", expected one of laptop, desktop, server"
        );
    }

    #[test]
    fn unknown_name_lists_the_choices() {
        let e = Precision::from_str("bf17").unwrap_err();
        assert_eq!(
            e.to_string(),
            "field `precision` is \"bf17\", expected one of fp32, bf16, fp16, amp_bf16, amp_fp16, mixed_bf16, mixed_fp16"
        );
    }
}
