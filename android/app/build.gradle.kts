// :app — the Compose UI, and everything that needs android.*: the Keystore-backed SecretStore,
// the camera2 QR scanner, brightness/haptics. Screens render :presentation state and forward user
// actions to its view models; they hold no logic of their own.
plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.compose)
}

android {
    namespace = "app.freeport.android"
    compileSdk = libs.versions.compileSdk.get().toInt()
    ndkVersion = libs.versions.ndk.get()

    defaultConfig {
        applicationId = "app.freeport"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = "0.1.0"
        ndk {
            // What scripts/build-android.sh builds with cargo ndk.
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    buildTypes {
        getByName("debug") {
            // en-XA / ar-XB from the English strings: what the screenshot tests render in, and
            // Developer options → pseudo-locales on a device (android/ci/build.py does the same).
            isPseudoLocalesEnabled = true
        }
        getByName("release") {
            isMinifyEnabled = true
            isShrinkResources = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    buildFeatures {
        compose = true
    }

    testOptions {
        // Robolectric reads the merged resources and manifest (aapt2's resources.ap_).
        unitTests.isIncludeAndroidResources = true
        unitTests.all {
            it.jvmArgs(
                "--add-exports", "java.base/jdk.internal.access=ALL-UNNAMED",
                "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
            )
            // The flow test loads the host libfreeport_core.so (target/debug after
            // scripts/gen-bindings.sh); the screenshot tests need no native core.
            it.systemProperty("jna.library.path", rootProject.file("../target/debug").absolutePath)
            it.systemProperty("freeport.screenshots.dir", rootProject.file("screenshots").absolutePath)
        }
    }

    packaging {
        jniLibs {
            // Uncompressed, page-aligned .so files load straight from the APK (16 KB pages).
            useLegacyPackaging = false
        }
    }
}

dependencies {
    implementation(project(":presentation"))
    implementation(project(":core"))

    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.navigation.compose)
    implementation(libs.androidx.work.runtime)

    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.ui.graphics)
    implementation(libs.compose.ui.tooling.preview)
    implementation(libs.compose.material3)
    implementation(libs.compose.material.icons)
    debugImplementation(libs.compose.ui.tooling)

    implementation(libs.kotlinx.coroutines.android)

    // Screenshot, flow and accessibility tests on the JVM (Robolectric, SDK 36, native graphics).
    // The CI build (android/ci/build.sh) runs the same tests from the same catalog.
    testImplementation(libs.junit)
    testImplementation(libs.robolectric)
    testImplementation(platform(libs.compose.bom))
    testImplementation(libs.compose.ui.test.junit4)
    testImplementation(libs.compose.ui.test.manifest)
    testImplementation(libs.jna.jvm)
    testImplementation(libs.androidx.work.testing)
}
