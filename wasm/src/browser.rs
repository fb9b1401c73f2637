//! Reading `navigator` and WebGPU into the core's [`BrowserFacts`], in a Window or a Worker.
//!
//! Every property is read with `Reflect` from the global object rather than through typed
//! bindings: a browser without WebGPU, an older one whose `GPUAdapter` has no `info`, or a
//! Worker without `deviceMemory` gives `undefined`, which reads as "not known" instead of
//! throwing through the module.

use js_sys::{Function, Object, Promise, Reflect};
use trainfit_core::document::MAX_EXACT_INTEGER;
use trainfit_core::hardware::{BrowserFacts, WebGpuAdapter, WebGpuLimits};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Most feature names kept: WebGPU defines about twenty (`GPUFeatureName`); the bound keeps a
/// hostile page's polyfill from handing over millions.
const MAX_FEATURES: usize = 64;

/// Everything the page can read about its machine.
pub async fn facts() -> BrowserFacts {
    let navigator = get(&js_sys::global(), "navigator");
    let (adapter, no_adapter) = match adapter(&navigator).await {
        Ok(adapter) => (Some(read_adapter(&adapter)), None),
        Err(reason) => (None, Some(reason)),
    };
    let platform = string(&get(&get(&navigator, "userAgentData"), "platform"))
        .or_else(|| string(&get(&navigator, "platform")));
    BrowserFacts {
        adapter,
        no_adapter,
        hardware_concurrency: integer(&get(&navigator, "hardwareConcurrency"))
            .and_then(|n| u32::try_from(n).ok()),
        device_memory_gib: get(&navigator, "deviceMemory").as_f64(),
        platform,
    }
}

/// The high-performance adapter, else the default one; the reason when there is neither.
async fn adapter(navigator: &JsValue) -> Result<JsValue, String> {
    let gpu = get(navigator, "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Err(String::from(
            "navigator.gpu is undefined: this browser has no WebGPU, it is turned off, or the page is not a secure context (https or localhost)",
        ));
    }
    let mut failure = None;
    for preference in [Some("high-performance"), None] {
        match request_adapter(&gpu, preference).await {
            Ok(adapter) if adapter.is_object() => return Ok(adapter),
            Ok(_) => {}
            Err(thrown) => failure = Some(crate::boundary::thrown_message(&thrown)),
        }
    }
    Err(match failure {
        Some(m) => format!("navigator.gpu.requestAdapter() failed: {m}"),
        None => String::from(
            "navigator.gpu.requestAdapter() gave no adapter: WebGPU is blocked for this GPU or driver, or there is no GPU (Chromium without one needs --enable-unsafe-webgpu for its software adapter)",
        ),
    })
}

/// `await gpu.requestAdapter({powerPreference})`, or with no options (the browser's default).
async fn request_adapter(gpu: &JsValue, preference: Option<&str>) -> Result<JsValue, JsValue> {
    let request: Function = get(gpu, "requestAdapter").dyn_into()?;
    let options = Object::new();
    if let Some(preference) = preference {
        Reflect::set(&options, &"powerPreference".into(), &preference.into())?;
    }
    let promise: Promise = request.call1(gpu, &options)?.dyn_into()?;
    JsFuture::from(promise).await
}

fn read_adapter(adapter: &JsValue) -> WebGpuAdapter {
    let info = get(adapter, "info");
    let limits = get(adapter, "limits");
    // Chromium keeps `isFallbackAdapter` on `info` now; older browsers had it on the adapter.
    let fallback = get(&info, "isFallbackAdapter")
        .as_bool()
        .or_else(|| get(adapter, "isFallbackAdapter").as_bool());
    WebGpuAdapter {
        vendor: string(&get(&info, "vendor")).unwrap_or_default(),
        architecture: string(&get(&info, "architecture")).unwrap_or_default(),
        device: string(&get(&info, "device")).unwrap_or_default(),
        description: string(&get(&info, "description")).unwrap_or_default(),
        is_fallback_adapter: fallback,
        limits: WebGpuLimits {
            max_buffer_size: integer(&get(&limits, "maxBufferSize")),
            max_storage_buffer_binding_size: integer(&get(&limits, "maxStorageBufferBindingSize")),
            max_compute_workgroup_storage_size: integer(&get(
                &limits,
                "maxComputeWorkgroupStorageSize",
            )),
            max_compute_invocations_per_workgroup: integer(&get(
                &limits,
                "maxComputeInvocationsPerWorkgroup",
            )),
        },
        features: features(&get(adapter, "features")),
    }
}

/// The names in a `GPUSupportedFeatures` set, sorted (the set's order is the browser's).
fn features(set: &JsValue) -> Vec<String> {
    let mut names: Vec<String> = match js_sys::try_iter(set) {
        Ok(Some(items)) => items
            .take(MAX_FEATURES)
            .filter_map(|item| item.ok().as_ref().and_then(string))
            .collect(),
        _ => Vec::new(),
    };
    names.sort();
    names
}

/// `target[key]`, `undefined` when `target` is not an object or the read throws.
fn get(target: &JsValue, key: &str) -> JsValue {
    if !target.is_object() && !target.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(target, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// A string property, cut to a line's length: these are names, and a page could pass anything.
fn string(value: &JsValue) -> Option<String> {
    value.as_string().map(|s| s.chars().take(200).collect())
}

/// A non-negative whole number JavaScript holds exactly.
fn integer(value: &JsValue) -> Option<u64> {
    value
        .as_f64()
        .filter(|v| v.fract() == 0.0 && *v >= 0.0 && *v <= MAX_EXACT_INTEGER as f64)
        .map(|v| v as u64)
}
