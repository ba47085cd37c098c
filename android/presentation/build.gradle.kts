// :presentation — view models and UI state in plain Kotlin (coroutines + StateFlow). No android.*
// import is allowed here: the Compose screens in :app only render this state, and the very same
// sources are compiled and unit-tested on a plain JVM by Maven (pom.xml in this directory)
// against the JVM flavour of the bindings and the host libfreeport_core.so.
//
// It is an Android library only because its inputs, the Android-flavour bindings in :core, are
// one. The unit tests run under Maven (see README.md): here they would need the host .so and the
// JVM-flavour bindings, which is exactly what the Maven build provides.
plugins {
    alias(libs.plugins.android.library)
}

android {
    namespace = "app.freeport.presentation"
    compileSdk = libs.versions.compileSdk.get().toInt()

    defaultConfig {
        minSdk = libs.versions.minSdk.get().toInt()
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    // src/test/kotlin belongs to the Maven build (JUnit 5, java.awt/javax.imageio, the host
    // library): it cannot compile against android.jar. Disabling the Test task alone would still
    // compile it (`./gradlew build` runs compileDebugUnitTestKotlin), so the Android unit-test
    // source set gets no sources at all.
    sourceSets {
        getByName("test") {
            java.setSrcDirs(emptyList<String>())
            kotlin.setSrcDirs(emptyList<String>())
        }
    }
}

// Enforce "no Android in presentation" in the Android build too (Maven enforces it by compiling
// without android.jar at all).
val checkNoAndroidImports by tasks.registering {
    val sources = fileTree("src/main/kotlin") { include("**/*.kt") }
    doLast {
        val offenders = sources.files.filter { f ->
            f.readLines().any { it.trimStart().startsWith("import android.") || it.trimStart().startsWith("import androidx.") }
        }
        check(offenders.isEmpty()) { "android/androidx imports in :presentation: $offenders" }
    }
}
tasks.named("preBuild") { dependsOn(checkNoAndroidImports) }

// Unit tests of this module run under Maven (android/test-presentation.sh).
tasks.withType<Test>().configureEach { enabled = false }

dependencies {
    api(project(":core"))
    api(libs.kotlinx.coroutines.core)
    implementation(libs.kotlinx.serialization.json)
}
